package dev.jdiffusion.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.jdiffusion.trainer.unet.FusedOps;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW with decoupled weight decay (Loshchilov &amp; Hutter 2019, "Decoupled Weight Decay
 * Regularization", Algorithm 2; the update PyTorch's {@code torch.optim.AdamW} performs):
 * <pre>
 *   p = p - lr * lambda * p
 *   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
 *   p = p - lr * (m / (1 - beta1^k)) / (sqrt(v / (1 - beta2^k)) + eps)
 * </pre>
 * for the {@code k}-th update. The moments are arrays this class owns (so a checkpoint can save and
 * restore them exactly, which DJL's optimizers do not offer). Updates run outside the autograd graph,
 * where scalar arithmetic is safe.
 */
public final class AdamW implements AutoCloseable {
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;
  private final NDManager manager;
  private final boolean fused;
  private final List<NDArray> means = new ArrayList<>();
  private final List<NDArray> variances = new ArrayList<>();
  private long updates;

  /** Zero moments shaped like {@code parameters}, in a manager of their own under {@code parent}. */
  public AdamW(NDManager parent, List<NDArray> parameters, double beta1, double beta2, double epsilon,
      double weightDecay) {
    this(parent, parameters, beta1, beta2, epsilon, weightDecay, true);
  }

  /** As above; {@code fused = false} keeps to the per-tensor updates even where the fused kernel is reachable. */
  AdamW(NDManager parent, List<NDArray> parameters, double beta1, double beta2, double epsilon,
      double weightDecay, boolean fused) {
    this.fused = fused;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.manager = parent.newSubManager();
    for (NDArray p : parameters) {
      means.add(manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      variances.add(manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
    }
  }

  /** Number of updates done. */
  public long updates() {
    return updates;
  }

  /**
   * One update of every parameter, then its gradient set to zero.
   *
   * <p>On libtorch with TorchScript (the normal case) all tensors are updated by one call into libtorch's fused
   * AdamW kernel ({@link FusedOps#adamw}), which reads and writes each element once. Elsewhere each tensor is
   * updated by one call into the engine ({@code adamUpdate} of DJL's PyTorch engine, in AdamW mode: {@code p
   * -= lr wd p; m, v as above; p -= lrHat m / (sqrt(v) + epsHat)}), with {@code lrHat = lr sqrt(1 - beta2^k) /
   * (1 - beta1^k)} and {@code epsHat = eps sqrt(1 - beta2^k)}, the formula of the class comment rearranged
   * (numerator and denominator divided by {@code sqrt(1 - beta2^k)}).
   *
   * @param gradients the gradient of each parameter (normally {@code parameter.getGradient()}); the
   *     parameters' own gradients are set to zero afterwards
   * @param gradientScale multiplies every gradient first (gradient clipping)
   */
  public void update(List<NDArray> parameters, List<NDArray> gradients, double lr, double gradientScale) {
    updates++;
    // Both kernels form the moments with float32 betas (0.999f = 0.99900001287...): the moments are averages
    // with those weights. Bias corrections with the same float32 betas keep m / bc1 and v / bc2 normalized.
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    if (fused && !parameters.isEmpty() && FusedOps.optimizerKernelsAvailable(parameters.get(0))) {
      FusedOps.adamw(parameters, gradients, means, variances, updates, lr, b1, b2, weightDecay, epsilon,
          gradientScale);
      return;
    }
    double bc1 = 1 - Math.pow(b1, updates);
    double sqrtBc2 = Math.sqrt(1 - Math.pow(b2, updates));
    float lrHat = (float) (lr * sqrtBc2 / bc1);
    float epsHat = (float) (epsilon * sqrtBc2);
    for (int i = 0; i < parameters.size(); i++) {
      NDArray p = parameters.get(i);
      // the engine clips each gradient element at clipGrad unless it is negative: off here
      p.getNDArrayInternal().adamUpdate(new NDList(p, gradients.get(i), means.get(i), variances.get(i)),
          new NDList(p), (float) lr, lrHat, (float) weightDecay, (float) gradientScale, -1f, b1, b2, epsHat,
          false, true);
    }
  }

  /** The state: first moments then second moments, in parameter order. */
  public NDList state() {
    NDList list = new NDList();
    list.addAll(means);
    list.addAll(variances);
    return list;
  }

  /** Restores {@link #state()} and the update count (moments are copied in place). */
  public void restore(NDList state, long updateCount) {
    int n = means.size();
    if (state.size() != 2 * n) {
      throw new IllegalArgumentException(
          "optimizer state has " + state.size() + " arrays, expected " + 2 * n);
    }
    for (int i = 0; i < n; i++) {
      copyInto(state.get(i), means.get(i), "adam mean " + i);
      copyInto(state.get(n + i), variances.get(i), "adam variance " + i);
    }
    this.updates = updateCount;
  }

  static void copyInto(NDArray from, NDArray to, String what) {
    if (!from.getShape().equals(to.getShape())) {
      throw new IllegalArgumentException(
          what + " has shape " + from.getShape() + " in the checkpoint, expected " + to.getShape());
    }
    if (FusedOps.optimizerKernelsAvailable(to)) {
      FusedOps.copy(List.of(to), List.of(from));
    } else {
      from.copyTo(to);
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
