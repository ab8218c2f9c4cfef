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
 * <p>Where SNR = 0 (the last step of a zero-terminal-SNR schedule) the eps-space weight of an x0- or
 * v-space weight is singular ({@code w_x0 / SNR}), while the trained parameterization's own MSE is not:
 * there the weight is evaluated in its declared space (or the overriding space) and carried to the
 * trained output's MSE directly, {@code w_loss = w_s * k_s^2}, where {@code k_s} is how an error of the
 * output moves the estimate of space {@code s} ({@code k_eps = epsFromOutput}, {@code k_x0 = x0FromOutput},
 * {@code k_v = sqrt(alphabar) epsFromOutput - sigma x0FromOutput}). So {@code uniform} declared in v space
 * weighs a v-prediction's terminal step by 1, and Min-SNR's {@code min(SNR, gamma)} weighs it by 0. An
 * eps-space weight keeps its meaning there: a v-prediction's eps-MSE is identically zero at SNR = 0 (its
 * eps estimate is {@code x_t}), so any eps-space weight gives that step weight 0; {@link #eps(int)} is
 * {@code +infinity} at a step weighted this way with a positive weight.
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
    LossSpace declared = space.orElse(weighter.space());
    double[] eps = new double[n];
    double[] loss = new double[n];
    boolean[] own = new boolean[n];
    for (int t = 0; t < n; t++) {
      double w;
      if (space.isPresent() && space.get() != weighter.space()) {
        w = weighter.weight(schedule, t) * space.get().toEpsFactor(schedule.logSnr(t));
      } else {
        w = weighter.epsWeight(schedule, t);
      }
      if (!Double.isFinite(w) && schedule.logSnr(t) == Double.NEGATIVE_INFINITY) {
        // SNR = 0: the conversion through eps space is singular; weigh in the trained output's own space.
        double ws = weighter.weight(schedule, t);
        double wl = ws * square(outputFactor(declared, schedule, t, parameterization));
        if (!(wl >= 0) || Double.isInfinite(wl)) {
          throw new WeightException("weighter " + label + " has no finite weight at t = " + t + " (logSNR = "
              + schedule.logSnr(t) + ", SNR = 0): its eps-space weight is " + w
              + (declared == LossSpace.EPS ? "" : ", its " + declared.id() + "-space weight " + ws)
              + ", on the trained output's MSE " + wl + "; weights must be finite and >= 0 at every timestep."
              + (Double.isNaN(w) && declared != LossSpace.EPS && !Double.isNaN(ws)
                  ? " A weighter defined in x0 or v space must give its eps-space weight in closed form where"
                      + " SNR = 0 (override epsWeight)."
                  : ""));
        }
        own[t] = true;
        loss[t] = wl;
        eps[t] = wl > 0 ? Double.POSITIVE_INFINITY : 0;
        continue;
      }
      check(label, "eps-space", schedule, t, w);
      eps[t] = w;
    }
    double scale = 1;
    if (normalize) {
      double sum = 0;
      for (int t = 0; t < n; t++) {
        if (Double.isInfinite(eps[t])) {
          throw new WeightException("weighter " + label + " cannot be normalized to mean 1 in eps space: its"
              + " eps-space weight is infinite at t = " + t + " (SNR = 0), where it is defined only in the"
              + " trained parameterization's space; drop normalize");
        }
        sum += eps[t];
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
    for (int t = 0; t < n; t++) {
      if (own[t]) {
        continue;
      }
      double f = parameterization.coefficients(schedule, t).epsFromOutput();
      double w = eps[t] * f * f;
      check(label, "loss-space", schedule, t, w);
      loss[t] = w;
    }
    return new LossWeights(label, eps, loss, scale);
  }

  /**
   * {@code k_s}: the error of the estimate of space {@code s} per unit error of the output, from the
   * parameterization's coefficients, finite wherever they are.
   */
  private static double outputFactor(LossSpace s, NoiseSchedule schedule, int t, Parameterization p) {
    Coefficients c = p.coefficients(schedule, t);
    return switch (s) {
      case EPS -> c.epsFromOutput();
      case X0 -> c.x0FromOutput();
      case V -> Math.sqrt(schedule.alphabar(t)) * c.epsFromOutput() - Math.sqrt(schedule.sigma2(t)) * c.x0FromOutput();
    };
  }

  private static double square(double x) {
    return x * x;
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

  /**
   * Weight on the eps-MSE at {@code t} (after normalization, if requested); {@code +infinity} where SNR = 0
   * and the weight is defined only in the trained parameterization's space (see the class comment).
   */
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
