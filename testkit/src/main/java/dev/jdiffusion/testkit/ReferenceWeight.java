package dev.jdiffusion.testkit;

import dev.jdiffusion.spi.weighter.WeighterConfig;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.apiguardian.api.API;

/**
 * A weight the source paper of a weighter gives, for {@link WeighterContractTest#referenceWeights()}: the
 * weight in the weighter's declared space for one config, either at a log-SNR (for a weighter that is a
 * function of log-SNR alone, an {@code SnrWeighter}) or at a timestep of one of the
 * {@link ReferenceSchedules} (for one that needs the schedule, like the variational bound).
 *
 * <pre>{@code
 * // Hang et al. 2023: min(SNR, gamma) on the x0-MSE; gamma = 5 at SNR = 10 gives 5
 * ReferenceWeight.atLogSnr(new MinSnrWeighter.Config(5), Math.log(10), 5, "Hang et al. 2023, eq. 5")
 * }</pre>
 *
 * <p>The value is checked to {@value WeighterContractTest#RELATIVE_TOLERANCE} relative unless
 * {@link #within(double)} says otherwise (e.g. for digits copied from a table).
 *
 * @param <C> the weighter's config record
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ReferenceWeight<C extends WeighterConfig> {
  private final C config;
  private final double logSnr;
  private final String schedule;
  private final int timestep;
  private final double weight;
  private final double relativeTolerance;
  private final String source;

  private ReferenceWeight(C config, double logSnr, String schedule, int timestep, double weight,
      double relativeTolerance, String source) {
    this.config = Objects.requireNonNull(config, "config");
    this.logSnr = logSnr;
    this.schedule = schedule;
    this.timestep = timestep;
    this.weight = weight;
    this.relativeTolerance = relativeTolerance;
    this.source = Objects.requireNonNull(source, "source");
    if (Double.isNaN(weight) || weight < 0 || weight == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("a reference weight is finite and >= 0, got " + weight);
    }
    if (!(relativeTolerance >= 0 && relativeTolerance < 1)) {
      throw new IllegalArgumentException("relative tolerance must be in [0, 1), got " + relativeTolerance);
    }
  }

  /**
   * The weight at {@code logSnr} ({@code -infinity} allowed), in the weighter's declared space.
   *
   * @param source where the value comes from: the paper and its equation or table
   */
  public static <C extends WeighterConfig> ReferenceWeight<C> atLogSnr(
      C config, double logSnr, double weight, String source) {
    if (Double.isNaN(logSnr) || logSnr == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("logSnr must be finite or -infinity, got " + logSnr);
    }
    return new ReferenceWeight<>(config, logSnr, null, -1, weight, WeighterContractTest.RELATIVE_TOLERANCE, source);
  }

  /**
   * The weight at timestep {@code t} of the reference schedule {@code schedule} (a name of
   * {@link ReferenceSchedules#standard()} or {@link ReferenceSchedules#zeroTerminalSnr()}, T = 1000), in
   * the weighter's declared space.
   */
  public static <C extends WeighterConfig> ReferenceWeight<C> atTimestep(
      C config, String schedule, int t, double weight, String source) {
    Objects.requireNonNull(schedule, "schedule");
    if (t < 0 || t >= ReferenceSchedules.TIMESTEPS) {
      throw new IllegalArgumentException("t must be in 0 .. " + (ReferenceSchedules.TIMESTEPS - 1) + ", got " + t);
    }
    return new ReferenceWeight<>(config, Double.NaN, schedule, t, weight, WeighterContractTest.RELATIVE_TOLERANCE,
        source);
  }

  /** The same reference, checked to {@code relativeTolerance} (relative to the stated weight). */
  public ReferenceWeight<C> within(double relativeTolerance) {
    return new ReferenceWeight<>(config, logSnr, schedule, timestep, weight, relativeTolerance, source);
  }

  public C config() {
    return config;
  }

  /** The log-SNR, for a reference stated at a log-SNR. */
  public OptionalDouble logSnr() {
    return schedule == null ? OptionalDouble.of(logSnr) : OptionalDouble.empty();
  }

  /** The reference schedule's name, for a reference stated at a timestep; else {@code null}. */
  public String schedule() {
    return schedule;
  }

  /** The timestep, for a reference stated at a timestep. */
  public OptionalInt timestep() {
    return schedule == null ? OptionalInt.empty() : OptionalInt.of(timestep);
  }

  /** The weight in the declared space. */
  public double weight() {
    return weight;
  }

  public double relativeTolerance() {
    return relativeTolerance;
  }

  public String source() {
    return source;
  }

  @Override
  public String toString() {
    String where = schedule == null ? "logSNR = " + logSnr : schedule + " t = " + timestep;
    return config + " at " + where + ": " + weight + " (" + source + ")";
  }
}
