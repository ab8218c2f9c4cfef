package dev.jdiffusion.plugins;

/**
 * The DESIGN.md schedule formulas written out again, plainly and independently of the plugins, as the
 * reference the tests compare against: betas, then {@code alphabar} by a running product.
 */
final class IndependentSchedules {
  private IndependentSchedules() {}

  static double[] betas(String id, int n) {
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      double u = (double) i / (n - 1);
      switch (id) {
        case "linear" -> b[i] = 1e-4 + u * (0.02 - 1e-4);
        case "scaled-linear" -> {
          double r = Math.sqrt(8.5e-4) + u * (Math.sqrt(1.2e-2) - Math.sqrt(8.5e-4));
          b[i] = r * r;
        }
        case "cosine" -> {
          double s = 0.008;
          double f0 = Math.pow(Math.cos(((double) i / n + s) / (1 + s) * Math.PI / 2), 2);
          double f1 = Math.pow(Math.cos(((double) (i + 1) / n + s) / (1 + s) * Math.PI / 2), 2);
          b[i] = Math.min(1 - f1 / f0, 0.999);
        }
        default -> throw new IllegalArgumentException(id);
      }
    }
    return b;
  }

  static double[] alphabar(double[] betas) {
    double[] a = new double[betas.length];
    double p = 1;
    for (int i = 0; i < betas.length; i++) {
      p *= 1 - betas[i];
      a[i] = p;
    }
    return a;
  }

  static double[] alphabar(String id) {
    return alphabar(betas(id, 1000));
  }
}
