package dev.jdiffusion.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.jdiffusion.trainer.unet.FusedOps;
import java.util.ArrayList;
import java.util.List;

/**
 * Exponential moving average of the weights (Polyak &amp; Juditsky 1992; used for sampling by Ho et al.
 * 2020 with decay 0.9999). With warm-up the decay after {@code k} updates is
 * {@code min(decay, (1 + k) / (10 + k))}, the schedule of TensorFlow's {@code ExponentialMovingAverage}
 * with {@code num_updates}, so early averages are not dominated by the random initialization:
 * <pre>  ema = d * ema + (1 - d) * p</pre>
 */
public final class Ema implements AutoCloseable {
  private final double decay;
  private final boolean warmup;
  private final NDManager manager;
  private final boolean fused;
  private final List<NDArray> shadow = new ArrayList<>();
  private long updates;

  /** Starts the average at a copy of {@code parameters}. */
  public Ema(NDManager parent, List<NDArray> parameters, double decay, boolean warmup) {
    this(parent, parameters, decay, warmup, true);
  }

  /** As above; {@code fused = false} keeps to the per-tensor updates even where the fused call is reachable. */
  Ema(NDManager parent, List<NDArray> parameters, double decay, boolean warmup, boolean fused) {
    this.fused = fused;
    this.decay = decay;
    this.warmup = warmup;
    this.manager = parent.newSubManager();
    for (NDArray p : parameters) {
      shadow.add(manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
    }
    if (fused && !shadow.isEmpty() && FusedOps.optimizerKernelsAvailable(shadow.get(0))) {
      FusedOps.copy(shadow, parameters);
    } else {
      for (int i = 0; i < shadow.size(); i++) {
        parameters.get(i).copyTo(shadow.get(i));
      }
    }
  }

  /** The decay used for update number {@code k} (counted from 0). */
  public double decayAt(long k) {
    return warmup ? Math.min(decay, (1.0 + k) / (10.0 + k)) : decay;
  }

  /**
   * Moves the average towards {@code parameters}: in one call into libtorch where it compiles TorchScript
   * ({@link FusedOps#movingAverage}), else per tensor; temporaries are freed by the caller's scope. (There the
   * two factors are made into tensors once per update: DJL's scalar overloads would build and convert a
   * scalar tensor for every parameter, twice.)
   */
  public void update(List<NDArray> parameters) {
    double d = decayAt(updates);
    if (fused && FusedOps.optimizerKernelsAvailable(shadow.get(0))) {
      FusedOps.movingAverage(shadow, parameters, d);
    } else {
      NDManager scratch = shadow.get(0).getManager();
      NDArray keep = scratch.create((float) d);
      NDArray take = scratch.create((float) (1 - d));
      for (int i = 0; i < shadow.size(); i++) {
        shadow.get(i).muli(keep).addi(parameters.get(i).mul(take));
      }
      keep.close();
      take.close();
    }
    updates++;
  }

  public long updates() {
    return updates;
  }

  /** The averaged weights, in parameter order. */
  public NDList weights() {
    return new NDList(shadow);
  }

  /** Restores the averaged weights and update count from a checkpoint. */
  public void restore(NDList weights, long updateCount) {
    if (weights.size() != shadow.size()) {
      throw new IllegalArgumentException(
          "EMA state has " + weights.size() + " arrays, expected " + shadow.size());
    }
    for (int i = 0; i < shadow.size(); i++) {
      AdamW.copyInto(weights.get(i), shadow.get(i), "EMA weight " + i);
    }
    this.updates = updateCount;
  }

  @Override
  public void close() {
    manager.close();
  }
}
