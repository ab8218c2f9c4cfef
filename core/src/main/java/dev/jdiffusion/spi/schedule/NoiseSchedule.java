package dev.jdiffusion.spi.schedule;

import java.util.Arrays;
import org.apiguardian.api.API;

/**
 * A discrete variance-preserving noise schedule as a table in double precision: {@code betas[t]} for
 * {@code t = 0 .. T-1}, {@code alphabar[t] = prod(1 - betas[0..t])}, {@code sigma^2 = 1 - alphabar},
 * {@code SNR = alphabar / sigma^2}.
 *
 * <p>Computed in log space so both ends stay exact: {@code log alphabar} is a running sum of
 * {@code log1p(-beta)}, {@code sigma^2 = -expm1(log alphabar)} keeps its digits when alphabar is close to 1,
 * and {@code log SNR = log alphabar - log sigma^2}. A beta of exactly 1 gives zero terminal SNR:
 * {@code alphabar = 0}, {@code logSnr = -infinity}.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class NoiseSchedule {
  private final double[] betas;
  private final double[] logAlphabar;
  private final double[] sigma2;
  private final double[] logSnr;

  private NoiseSchedule(double[] betas) {
    int n = betas.length;
    this.betas = betas;
    this.logAlphabar = new double[n];
    this.sigma2 = new double[n];
    this.logSnr = new double[n];
    double sum = 0;
    for (int t = 0; t < n; t++) {
      sum += Math.log1p(-betas[t]);
      logAlphabar[t] = sum;
      sigma2[t] = -Math.expm1(sum);
      logSnr[t] = sum - Math.log(sigma2[t]);
    }
  }

  /**
   * Builds the table from betas. Each beta must lie in {@code (0, 1]}; there must be at least two.
   *
   * @throws IllegalArgumentException naming the first bad index and value
   */
  public static NoiseSchedule fromBetas(double[] betas) {
    if (betas.length < 2) {
      throw new IllegalArgumentException(
          "a schedule needs at least 2 timesteps, got " + betas.length);
    }
    for (int t = 0; t < betas.length; t++) {
      double b = betas[t];
      if (!(b > 0 && b <= 1)) {
        throw new IllegalArgumentException(
            "beta[" + t + "] = " + b + " is not allowed: every beta must be in (0, 1]");
      }
    }
    return new NoiseSchedule(betas.clone());
  }

  /**
   * Builds the table from {@code alphabar[t]}, which must be strictly decreasing within {@code (0, 1)},
   * except that the last value may be exactly 0 (zero terminal SNR).
   */
  public static NoiseSchedule fromAlphabar(double[] alphabar) {
    double[] betas = new double[alphabar.length];
    double previous = 1.0;
    for (int t = 0; t < alphabar.length; t++) {
      double a = alphabar[t];
      boolean terminalZero = a == 0 && t == alphabar.length - 1;
      if (!(a < previous && (a > 0 || terminalZero))) {
        throw new IllegalArgumentException(
            "alphabar[" + t + "] = " + a + " is not allowed: alphabar must decrease strictly within"
                + " (0, 1), only the last value may be 0");
      }
      betas[t] = 1 - a / previous;
      previous = a;
    }
    return fromBetas(betas);
  }

  /** The number of timesteps T. */
  public int timesteps() {
    return betas.length;
  }

  public double beta(int t) {
    return betas[t];
  }

  /** {@code alpha_t = 1 - beta_t}. */
  public double alpha(int t) {
    return 1 - betas[t];
  }

  public double alphabar(int t) {
    return Math.exp(logAlphabar[t]);
  }

  public double logAlphabar(int t) {
    return logAlphabar[t];
  }

  /** {@code sigma^2 = 1 - alphabar}, accurate when alphabar is close to 1. */
  public double sigma2(int t) {
    return sigma2[t];
  }

  /** {@code SNR = alphabar / (1 - alphabar)}; 0 at zero terminal SNR. */
  public double snr(int t) {
    return Math.exp(logSnr[t]);
  }

  /** {@code ln SNR}; {@code -infinity} at zero terminal SNR. */
  public double logSnr(int t) {
    return logSnr[t];
  }

  /** A copy of the betas. */
  public double[] betas() {
    return betas.clone();
  }

  /** A copy of the alphabar table. */
  public double[] alphabars() {
    return Arrays.stream(logAlphabar).map(Math::exp).toArray();
  }
}
