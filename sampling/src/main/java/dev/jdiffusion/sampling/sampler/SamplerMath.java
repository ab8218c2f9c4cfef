package dev.jdiffusion.sampling.sampler;

import dev.jdiffusion.core.model.ModelMetadata;

/** Pieces shared by the samplers: the timestep sequence and the x0/eps estimates from metadata. */
final class SamplerMath {
  private SamplerMath() {}

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
