package dev.jdiffusion.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;

/**
 * The weighted denoising objective (Ho et al. 2020, eq. 14, with a per-timestep weight):
 * <pre>
 *   x_t    = sqrt(alphabar_t) x0 + sqrt(1 - alphabar_t) eps
 *   target = a_t x0 + b_t eps                       (a_t, b_t: the parameterization's Coefficients)
 *   mse_i  = mean over pixels of (model(x_t, t)_i - target_i)^2
 *   loss   = mean over the batch of w_loss(t_i) * mse_i
 * </pre>
 * {@code w_loss} is the weighter's weight converted to the trained parameterization's loss space by core
 * ({@link LossWeights#loss(int)}). Every per-timestep number is tabulated once in double precision; per
 * step the host gathers them for the batch's timesteps and uploads them as constant tensors, so no
 * gradient flows through them and no scalar NDArray arithmetic enters the autograd graph. Nothing here
 * depends on which schedule, parameterization or weighter it is.
 */
public final class WeightedDenoisingLoss {
  private final int timesteps;
  private final double[] signal;
  private final double[] noise;
  private final double[] targetX0;
  private final double[] targetEps;
  private final double[] weight;

  private WeightedDenoisingLoss(NoiseSchedule schedule, Parameterization parameterization, LossWeights weights) {
    if (weights.timesteps() != schedule.timesteps()) {
      throw new IllegalArgumentException("weight table has " + weights.timesteps()
          + " timesteps but the schedule has " + schedule.timesteps());
    }
    this.timesteps = schedule.timesteps();
    this.signal = new double[timesteps];
    this.noise = new double[timesteps];
    this.targetX0 = new double[timesteps];
    this.targetEps = new double[timesteps];
    this.weight = weights.loss();
    for (int t = 0; t < timesteps; t++) {
      signal[t] = Math.sqrt(schedule.alphabar(t));
      noise[t] = Math.sqrt(schedule.sigma2(t));
      Coefficients c = parameterization.coefficients(schedule, t);
      targetX0[t] = c.targetX0();
      targetEps[t] = c.targetEps();
      if (!Double.isFinite(c.targetX0()) || !Double.isFinite(c.targetEps())) {
        throw new IllegalArgumentException("parameterization gives a non-finite target coefficient at t = "
            + t + ": targetX0 = " + c.targetX0() + ", targetEps = " + c.targetEps());
      }
    }
  }

  /** Tabulates the objective for a schedule, a parameterization and its loss-space weights. */
  public static WeightedDenoisingLoss of(
      NoiseSchedule schedule, Parameterization parameterization, LossWeights weights) {
    return new WeightedDenoisingLoss(schedule, parameterization, weights);
  }

  public int timesteps() {
    return timesteps;
  }

  /** The loss-space weight at {@code t}. */
  public double weight(int t) {
    return weight[t];
  }

  /**
   * The loss of one batch, in the autograd graph of {@code model}'s parameters.
   *
   * @param x0 clean images {@code (B, C, H, W)}; its manager owns every array made here
   * @param t the batch's timesteps, one per image
   * @param eps Gaussian noise of {@code x0}'s shape
   */
  public Result compute(Block model, ParameterStore ps, NDArray x0, int[] t, NDArray eps, boolean training) {
    Shape shape = x0.getShape();
    int batch = (int) shape.get(0);
    if (t.length != batch) {
      throw new IllegalArgumentException("got " + t.length + " timesteps for a batch of " + batch);
    }
    float[] sig = new float[batch];
    float[] nse = new float[batch];
    float[] a = new float[batch];
    float[] b = new float[batch];
    float[] w = new float[batch];
    float[] tf = new float[batch];
    double weightSum = 0;
    for (int i = 0; i < batch; i++) {
      int ti = t[i];
      if (ti < 0 || ti >= timesteps) {
        throw new IllegalArgumentException("timestep " + ti + " outside 0 .. " + (timesteps - 1));
      }
      sig[i] = (float) signal[ti];
      nse[i] = (float) noise[ti];
      a[i] = (float) targetX0[ti];
      b[i] = (float) targetEps[ti];
      w[i] = (float) weight[ti];
      tf[i] = ti;
      weightSum += weight[ti];
    }
    NDManager m = x0.getManager();
    Shape perSample = new Shape(batch, 1, 1, 1);
    NDArray xt = m.create(sig, perSample).mul(x0).add(m.create(nse, perSample).mul(eps));
    NDArray target = m.create(a, perSample).mul(x0).add(m.create(b, perSample).mul(eps));
    NDArray out = model.forward(ps, new NDList(xt, m.create(tf)), training).singletonOrThrow();
    NDArray diff = out.sub(target);
    NDArray mse = diff.mul(diff).reshape(batch, -1).mean(new int[] {1});
    NDArray loss = mse.mul(m.create(w)).mean();
    return new Result(loss, weightSum / batch);
  }

  /**
   * @param loss the scalar loss, differentiable
   * @param meanWeight the mean loss-space weight of the batch (a diagnostic)
   */
  public record Result(NDArray loss, double meanWeight) {}
}
