package dev.jdiffusion.sampling.sampler;

import dev.jdiffusion.core.data.SplitMix64;

/** Standard normal draws from a seeded generator (Marsaglia's polar method, one value per call). */
final class Gaussian {
  private Gaussian() {}

  static double next(SplitMix64 r) {
    double u;
    double v;
    double s;
    do {
      u = 2 * r.nextDouble() - 1;
      v = 2 * r.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    return u * Math.sqrt(-2 * Math.log(s) / s);
  }
}
