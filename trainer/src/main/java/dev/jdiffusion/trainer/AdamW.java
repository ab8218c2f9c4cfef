package dev.jdiffusion.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
  private final List<NDArray> means = new ArrayList<>();
  private final List<NDArray> variances = new ArrayList<>();
  private long updates;

  /** Zero moments shaped like {@code parameters}, in a manager of their own under {@code parent}. */
  public AdamW(NDManager parent, List<NDArray> parameters, double beta1, double beta2, double epsilon,
      double weightDecay) {
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
   * One update of every parameter. Temporaries are freed by the caller's {@code NDScope}.
   *
   * @param gradientScale multiplies every gradient first (gradient clipping)
   */
  public void update(List<NDArray> parameters, List<NDArray> gradients, double lr, double gradientScale) {
    updates++;
    double bc1 = 1 - Math.pow(beta1, updates);
    double bc2 = 1 - Math.pow(beta2, updates);
    double stepSize = lr / bc1;
    double sqrtBc2 = Math.sqrt(bc2);
    for (int i = 0; i < parameters.size(); i++) {
      NDArray p = parameters.get(i);
      NDArray g = gradientScale == 1 ? gradients.get(i) : gradients.get(i).mul(gradientScale);
      NDArray m = means.get(i);
      NDArray v = variances.get(i);
      if (weightDecay != 0) {
        p.muli(1 - lr * weightDecay);
      }
      m.muli(beta1).addi(g.mul(1 - beta1));
      v.muli(beta2).addi(g.mul(g).muli(1 - beta2));
      NDArray denom = v.sqrt().divi(sqrtBc2).addi(epsilon);
      p.subi(m.div(denom).muli(stepSize));
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
    from.copyTo(to);
  }

  @Override
  public void close() {
    manager.close();
  }
}
