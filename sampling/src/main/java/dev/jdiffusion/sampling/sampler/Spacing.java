package dev.jdiffusion.sampling.sampler;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which timesteps of the model's table (0 .. T-1) a sampler evaluates, for {@code n} steps, noisiest first.
 * A model takes integer timesteps, so every grid is a strictly decreasing list of table indices; the step
 * after the last one goes to the clean image.
 *
 * <p>Grids defined in sigma ({@link #KARRAS}, {@link #LOGSNR}; {@code sigma_t = sqrt((1 - ab_t) / ab_t)})
 * are snapped to the timestep nearest in log sigma, as k-diffusion quantizes sigmas for discrete models.
 * Near t = 0 the table's sigmas are far apart in log sigma (sigma_1 / sigma_0 is about sqrt 2 on DDPM's
 * linear schedule), so at many steps two grid points can snap to one timestep; those are then moved apart
 * to the nearest free timesteps (each point is raised to one above its successor, then lowered to one
 * below its predecessor), which keeps exactly {@code n} evaluations and both ends of the grid.
 */
public enum Spacing {
  /**
   * {@code round(T - k T / n) - 1} for {@code k = 0 .. n-1}, rounded half to even (numpy's {@code round}):
   * always starts at T-1 (Lin et al. 2024, table 2). The default of DDPM and DDIM. For T = 1000 and 16 steps:
   * 999, 937, 874, 811, ...
   */
  TRAILING("trailing"),
  /** numpy's {@code linspace(0, T - 1, n)} rounded half to even, descending: both T-1 and 0 (needs n >= 2). */
  LINSPACE("linspace"),
  /** {@code k * floor(T / n)} for {@code k = n-1 .. 0} (diffusers' "leading", offset 0): does not start at T-1. */
  LEADING("leading"),
  /**
   * Karras et al. 2022, eq. 5 with rho = 7: {@code (smax^(1/rho) + k/(n-1) (smin^(1/rho) - smax^(1/rho)))^rho}
   * between the table's {@code smax = sigma_(T-1)} and {@code smin = sigma_0}, snapped. The default of Euler
   * and Heun. Needs a finite sigma_(T-1) (not zero terminal SNR) and n >= 2.
   */
  KARRAS("karras"),
  /**
   * Uniform in log-SNR (Lu et al. 2022, DPM-Solver, section 3.3: "uniform logSNR" time steps) between
   * sigma_(T-1) and sigma_0, snapped. The default of DPM-Solver++(2M). Needs a finite sigma_(T-1) and n >= 2.
   */
  LOGSNR("logsnr");

  /** Karras et al.'s rho. */
  public static final double RHO = 7;

  private final String id;

  Spacing(String id) {
    this.id = id;
  }

  /** The name used on the command line and in configurations. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }

  /**
   * The spacing with this name.
   *
   * @throws IllegalArgumentException naming the value and the allowed names
   */
  public static Spacing parse(String name) {
    for (Spacing s : values()) {
      if (s.id.equals(name.toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("'" + name + "' is not one of "
        + Arrays.stream(values()).map(Spacing::id).collect(Collectors.joining(", ")));
  }

  /**
   * The grid of {@code steps} timesteps for a model with this alphabar table, noisiest first.
   *
   * @throws IllegalArgumentException if {@code steps} is outside 1 .. T, or the spacing cannot be formed
   *     for this table (a sigma grid on a zero-terminal-SNR table; fewer than 2 steps where both ends are
   *     fixed); the message says which and what would work
   */
  public int[] timesteps(double[] alphabar, int steps) {
    int total = alphabar.length;
    if (steps < 1 || steps > total) {
      throw new IllegalArgumentException("steps must be in 1.." + total + " (the model's T), got " + steps);
    }
    if (steps < 2 && this != TRAILING && this != LEADING) {
      throw new IllegalArgumentException("spacing " + id + " needs at least 2 steps (it includes t = T-1 and t = 0)");
    }
    int[] ts = new int[steps];
    switch (this) {
      case TRAILING -> {
        for (int k = 0; k < steps; k++) {
          ts[k] = (int) Math.rint(total - (double) k * total / steps) - 1;
        }
      }
      case LINSPACE -> {
        double step = (total - 1.0) / (steps - 1);
        for (int i = 0; i < steps; i++) {
          double value = i == steps - 1 ? total - 1 : i * step;
          ts[steps - 1 - i] = (int) Math.rint(value);
        }
      }
      case LEADING -> {
        int ratio = total / steps;
        for (int k = 0; k < steps; k++) {
          ts[k] = (steps - 1 - k) * ratio;
        }
      }
      case KARRAS, LOGSNR -> {
        double[] logSigma = logSigmas(alphabar);
        double max = logSigma[total - 1];
        double min = logSigma[0];
        if (Double.isInfinite(max)) {
          throw new IllegalArgumentException("spacing " + id + " needs a finite sigma at t = T-1, but this model has"
              + " zero terminal SNR (alphabar[T-1] = 0); use trailing, linspace or leading");
        }
        for (int k = 0; k < steps; k++) {
          double ramp = (double) k / (steps - 1);
          double target;
          if (this == KARRAS) {
            double hi = Math.pow(Math.exp(max), 1 / RHO);
            double lo = Math.pow(Math.exp(min), 1 / RHO);
            target = RHO * Math.log(hi + ramp * (lo - hi));
          } else {
            target = max + ramp * (min - max);
          }
          ts[k] = nearest(logSigma, target);
        }
        separate(ts, total);
      }
      default -> throw new AssertionError(this);
    }
    return ts;
  }

  /** {@code log sigma_t = (log(1 - ab) - log(ab)) / 2}; +infinity where ab = 0. */
  static double[] logSigmas(double[] alphabar) {
    double[] out = new double[alphabar.length];
    for (int t = 0; t < out.length; t++) {
      out[t] = 0.5 * (Math.log1p(-alphabar[t]) - Math.log(alphabar[t]));
    }
    return out;
  }

  /** The timestep whose log sigma is nearest to {@code target} (the lowest on a tie, as numpy's argmin). */
  private static int nearest(double[] logSigma, double target) {
    int best = 0;
    double distance = Double.POSITIVE_INFINITY;
    for (int t = 0; t < logSigma.length; t++) {
      double d = Math.abs(logSigma[t] - target);
      if (d < distance) {
        distance = d;
        best = t;
      }
    }
    return best;
  }

  /** Makes a non-increasing grid strictly decreasing within 0 .. total-1, moving as few points as needed. */
  private static void separate(int[] ts, int total) {
    for (int k = ts.length - 2; k >= 0; k--) {
      ts[k] = Math.max(ts[k], ts[k + 1] + 1);
    }
    ts[0] = Math.min(ts[0], total - 1);
    for (int k = 1; k < ts.length; k++) {
      ts[k] = Math.min(ts[k], ts[k - 1] - 1);
    }
  }
}
