package dev.jdiffusion.core;

import dev.jdiffusion.spi.Require;

/**
 * The cross-walk between the smoothed-KL weight {@code sigma^2 / (sigma^2 + lambda)} (2026 paper,
 * "Smoothed-KL Reweighting") and the Min-SNR family, for variance-preserving schedules. All in eps space.
 *
 * <ul>
 *   <li>Soft-Min-SNR (Crowson et al. 2024), exact: with {@code gamma' = (1 + lambda) / lambda},
 *       {@code smoothedKl(lambda) = softMinSnr(gamma') / (1 + lambda)} at every timestep, because
 *       {@code gamma' / (SNR + gamma') = (1 + lambda) sigma^2 / (sigma^2 + lambda)}.
 *   <li>Min-SNR-gamma (Hang et al. 2023), leading order: with {@code gamma = 1 / lambda},
 *       {@code smoothedKl(lambda) / minSnr(gamma) = SNR / (SNR + gamma')} wherever {@code SNR > gamma},
 *       which tends to 1 as SNR grows.
 * </ul>
 */
public final class MatchingRule {
  private MatchingRule() {}

  /** Min-SNR's gamma matched to smoothed-KL's lambda at high SNR: {@code 1 / lambda}. */
  public static double minSnrGamma(double lambda) {
    return 1 / Require.positive("lambda", lambda);
  }

  /** Smoothed-KL's lambda matched to Min-SNR's gamma: {@code 1 / gamma}. */
  public static double lambdaForMinSnr(double gamma) {
    return 1 / Require.positive("gamma", gamma);
  }

  /** Soft-Min-SNR's gamma' equal (up to a constant) to smoothed-KL's lambda: {@code (1 + lambda) / lambda}. */
  public static double softMinSnrGamma(double lambda) {
    Require.positive("lambda", lambda);
    return (1 + lambda) / lambda;
  }

  /** Smoothed-KL's lambda equal (up to a constant) to Soft-Min-SNR's gamma': {@code 1 / (gamma' - 1)}; gamma' > 1. */
  public static double lambdaForSoftMinSnr(double gammaPrime) {
    if (!(gammaPrime > 1) || !Double.isFinite(gammaPrime)) {
      throw new dev.jdiffusion.spi.InvalidParameterException("gamma", gammaPrime, "> 1 and finite");
    }
    return 1 / (gammaPrime - 1);
  }

  /** The constant {@code smoothedKl(lambda) / softMinSnr(gamma')}: {@code 1 / (1 + lambda)}. */
  public static double softMinSnrScale(double lambda) {
    Require.positive("lambda", lambda);
    return 1 / (1 + lambda);
  }
}
