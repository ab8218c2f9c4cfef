package dev.jdiffusion.plugins.weighter;

/** Functions of log-SNR that stay exact at both ends, including {@code logSnr = -infinity}. */
final class StableMath {
  private StableMath() {}

  /** {@code 1 / (1 + exp(-x))} without overflow. */
  static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  /** {@code sigma^2 = 1 - alphabar = 1 / (1 + SNR)} from log-SNR. */
  static double sigma2(double logSnr) {
    return sigmoid(-logSnr);
  }
}
