package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/** What the samplers share: the timestep sequence, the x0/eps estimates from metadata, and the loop. */
final class SamplerMath {
  private SamplerMath() {}

  /** One step's update of one value: {@code x_prev} from {@code x_t} and the estimates. */
  interface Update {
    double next(double xt, double x0, double eps, SplittableRandom random);
  }

  /** The update for the step from {@code t} to {@code tPrev}; {@code abPrev} is 1 after the last step. */
  interface Step {
    Update at(double ab, double abPrev, boolean last);
  }

  /**
   * {@code steps} timesteps, descending from T-1 to {@code round(T/steps) - 1} ("trailing" spacing, Lin et al.
   * 2024, table 2, which always starts from the noisiest step): {@code round(T - k T / steps) - 1}.
   */
  static int[] timesteps(int total, int steps) {
    if (steps < 1 || steps > total) {
      throw new IllegalArgumentException("steps must be in 1.." + total + ", got " + steps);
    }
    int[] ts = new int[steps];
    for (int k = 0; k < steps; k++) {
      ts[k] = (int) Math.round(total - (double) k * total / steps) - 1;
    }
    return ts;
  }

  /**
   * Draws {@code n} images: starts from standard normal noise, and at each of the {@code steps}
   * timesteps evaluates the network once, forms the x0 and eps estimates, and applies {@code step}.
   */
  static float[] run(OnnxDenoiser model, int n, long seed, int steps, boolean clip, IntConsumer onStep, Step step)
      throws OrtException {
    ModelMetadata m = model.metadata();
    int size = n * model.shape().size();
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[size];
    for (int i = 0; i < size; i++) {
      x[i] = (float) Gaussian.next(random);
    }
    int[] ts = timesteps(m.timesteps(), steps);
    double[] x0 = new double[size];
    double[] eps = new double[size];
    long[] tIn = new long[n];
    for (int k = 0; k < ts.length; k++) {
      int t = ts[k];
      Arrays.fill(tIn, t);
      float[] out = model.predict(x, tIn);
      estimates(m, t, x, out, clip, x0, eps);
      boolean last = k + 1 == ts.length;
      Update update = step.at(m.alphabar()[t], last ? 1.0 : m.alphabar()[ts[k + 1]], last);
      for (int i = 0; i < size; i++) {
        x[i] = (float) update.next(x[i], x0[i], eps[i], random);
      }
      onStep.accept(k + 1);
    }
    return x;
  }

  /**
   * Fills {@code x0} and {@code eps} from the network output, optionally clipping x0 to the pixel range
   * and then recomputing eps from the clipped x0 so both stay consistent with {@code x_t}.
   */
  static void estimates(ModelMetadata m, int t, float[] xt, float[] out, boolean clip, double[] x0, double[] eps) {
    double a = m.x0FromXt(t);
    double b = m.x0FromOutput(t);
    double c = m.epsFromXt(t);
    double d = m.epsFromOutput(t);
    double rootAlphabar = Math.sqrt(m.alphabar()[t]);
    double sigma = Math.sqrt(1 - m.alphabar()[t]);
    for (int i = 0; i < xt.length; i++) {
      double x0i = a * xt[i] + b * out[i];
      double epsi = c * xt[i] + d * out[i];
      if (clip) {
        double clipped = Math.max(m.pixelMin(), Math.min(m.pixelMax(), x0i));
        if (clipped != x0i) {
          x0i = clipped;
          epsi = (xt[i] - rootAlphabar * x0i) / sigma;
        }
      }
      x0[i] = x0i;
      eps[i] = epsi;
    }
  }
}
