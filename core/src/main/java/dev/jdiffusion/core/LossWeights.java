package dev.jdiffusion.core;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.weighter.Weighter;
import java.util.Optional;

/**
 * One weighter's weights for every timestep of a schedule, in double precision: on the eps-MSE (the
 * canonical space) and on the MSE of the parameterization being trained. Computed once per run; the
 * trainer gathers from {@link #loss()} per sample.
 *
 * <p>Conversion: the weighter's own {@code epsWeight} (closed forms that stay finite at zero SNR) unless
 * the configuration overrides its space, in which case the formula is converted by the exact factor of
 * the overriding space. Then {@code w_loss = w_eps * epsFromOutput^2}, from the parameterization's
 * coefficients ({@link Coefficients}): eps gives {@code w_eps}, x0 gives {@code w_eps * SNR}, v gives
 * {@code w_eps * SNR / (1 + SNR)}.
 *
 * <p>Every weight must be finite and {@code >= 0}. A weighter that is unbounded on the schedule (e.g.
 * {@code inverse-snr} at zero terminal SNR) is refused with the timestep and log-SNR, never clamped.
 */
public final class LossWeights {
  private final String label;
  private final double[] eps;
  private final double[] loss;
  private final double scale;

  private LossWeights(String label, double[] eps, double[] loss, double scale) {
    this.label = label;
    this.eps = eps;
    this.loss = loss;
    this.scale = scale;
  }

  /**
   * Computes the table.
   *
   * @param label the weighter as the user named it, for messages
   * @param space an override of the weighter's declared space, or empty
   * @param normalize scale the eps-space weight to mean 1 over the (uniformly drawn) timesteps
   * @throws WeightException naming the timestep where a weight is not finite or is negative
   */
  public static LossWeights compute(
      String label,
      NoiseSchedule schedule,
      Weighter weighter,
      Optional<LossSpace> space,
      boolean normalize,
      Parameterization parameterization) {
    int n = schedule.timesteps();
    double[] eps = new double[n];
    for (int t = 0; t < n; t++) {
      double w;
      if (space.isPresent() && space.get() != weighter.space()) {
        w = weighter.weight(schedule, t) * space.get().toEpsFactor(schedule.logSnr(t));
      } else {
        w = weighter.epsWeight(schedule, t);
      }
      check(label, "eps-space", schedule, t, w);
      eps[t] = w;
    }
    double scale = 1;
    if (normalize) {
      double sum = 0;
      for (double w : eps) {
        sum += w;
      }
      double mean = sum / n;
      if (!(mean > 0) || !Double.isFinite(mean)) {
        throw new WeightException(
            "weighter " + label + " has mean eps-space weight " + mean + ": cannot normalize it to mean 1");
      }
      scale = 1 / mean;
      for (int t = 0; t < n; t++) {
        eps[t] *= scale;
      }
    }
    double[] loss = new double[n];
    for (int t = 0; t < n; t++) {
      double f = parameterization.coefficients(schedule, t).epsFromOutput();
      double w = eps[t] * f * f;
      check(label, "loss-space", schedule, t, w);
      loss[t] = w;
    }
    return new LossWeights(label, eps, loss, scale);
  }

  private static void check(String label, String what, NoiseSchedule s, int t, double w) {
    if (!(w >= 0) || Double.isInfinite(w)) {
      throw new WeightException(
          "weighter " + label + " gives " + (Double.isNaN(w) ? "NaN" : w < 0 ? "a negative value " + w
              : "an infinite value") + " as " + what + " weight at t = " + t + " (logSNR = " + s.logSnr(t)
              + ", alphabar = " + s.alphabar(t) + "); weights must be finite and >= 0 at every timestep."
              + (Double.isNaN(w) ? " A weighter defined in x0 or v space must give its eps-space weight in"
                  + " closed form where SNR = 0 (override epsWeight)." : ""));
    }
  }

  /** The weighter as the user named it. */
  public String label() {
    return label;
  }

  /** Number of timesteps. */
  public int timesteps() {
    return eps.length;
  }

  /** Weight on the eps-MSE at {@code t} (after normalization, if requested). */
  public double eps(int t) {
    return eps[t];
  }

  /** Weight on the trained parameterization's MSE at {@code t}. */
  public double loss(int t) {
    return loss[t];
  }

  /** A copy of the eps-space weights. */
  public double[] eps() {
    return eps.clone();
  }

  /** A copy of the loss-space weights. */
  public double[] loss() {
    return loss.clone();
  }

  /** The factor applied by normalization (1 without it). */
  public double normalizationScale() {
    return scale;
  }
}
