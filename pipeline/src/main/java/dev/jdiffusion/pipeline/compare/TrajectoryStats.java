package dev.jdiffusion.pipeline.compare;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * The statistics of a comparison, as pure functions of FID trajectories (FID at the same checkpoint steps,
 * one trajectory per seed). Trajectories of two weighters are given as {@code double[seed][checkpoint]}
 * with the seeds in the same order: runs at one seed share initialization, data order, timesteps, noise
 * and sampling noise, so they are <em>paired</em>, and every interval here is a paired one, over seeds.
 * docs/compare.md states each definition; in short:
 * <ul>
 *   <li><b>Windows</b>: the intermediate checkpoints (all but the last, as the paper's "seven intermediate
 *       checkpoints"), and the same without the first checkpoint after warm-up (and any before it).
 *   <li><b>Gaps</b> of a against b at one seed: the mean over a window of {@code FID_a - FID_b} (signed;
 *       positive when a is worse) and of {@code |FID_a - FID_b|} (unsigned: the paper's statistic on one
 *       trajectory). Over seeds: their mean with a t-interval; and the unsigned gap of the seed means.
 *   <li><b>Steps to a threshold</b>, linearly interpolated between checkpoints, by two rules: the first
 *       time the trajectory is at or below it ({@link Rule#FIRST_REACH}), and the time from which on it
 *       stays at or below it ({@link Rule#STAY_BELOW}). A trajectory already at or below the threshold at
 *       its first checkpoint crossed it at an unknown earlier step: {@link Outcome#CENSORED}, never a
 *       number. The thresholds are the reference's own FIDs at its mid-training checkpoints; "earlier"
 *       is {@code 1 - steps / reference's steps}, defined only when both reached the threshold uncensored.
 *   <li><b>Intervals</b>: {@code mean +- t(0.975, n - 1) s / sqrt(n)} over the n seeds (sample standard
 *       deviation s), none with one seed.
 * </ul>
 */
public final class TrajectoryStats {
  /** The coverage of every interval. */
  public static final double CONFIDENCE = 0.95;

  private TrajectoryStats() {}

  /**
   * A mean over seeds with its t-interval.
   *
   * @param values one value per seed (seeds where the statistic is undefined left out)
   * @param mean their mean, NaN when there are none
   * @param halfWidth half the width of the {@link #CONFIDENCE} t-interval; NaN with fewer than two values
   */
  public record Estimate(double[] values, double mean, double halfWidth) {
    /** The number of seeds behind it. */
    public int n() {
      return values.length;
    }

    public double lower() {
      return mean - halfWidth;
    }

    public double upper() {
      return mean + halfWidth;
    }

    /** Whether there is an interval (two or more seeds). */
    public boolean hasInterval() {
      return Double.isFinite(halfWidth);
    }

    /** Whether the interval lies entirely on one side of 0. */
    public boolean excludesZero() {
      return hasInterval() && (lower() > 0 || upper() < 0);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Estimate e && Arrays.equals(values, e.values)
          && Double.compare(mean, e.mean) == 0 && Double.compare(halfWidth, e.halfWidth) == 0;
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(values) + Double.hashCode(mean);
    }

    @Override
    public String toString() {
      return "Estimate[" + mean + " +- " + halfWidth + ", n = " + values.length + "]";
    }
  }

  /** The mean of {@code values} with its two-sided {@link #CONFIDENCE} t-interval. */
  public static Estimate estimate(double[] values) {
    int n = values.length;
    if (n == 0) {
      return new Estimate(new double[0], Double.NaN, Double.NaN);
    }
    double mean = 0;
    for (double v : values) {
      mean += v;
    }
    mean /= n;
    if (n < 2) {
      return new Estimate(values.clone(), mean, Double.NaN);
    }
    double ss = 0;
    for (double v : values) {
      ss += (v - mean) * (v - mean);
    }
    double sd = Math.sqrt(ss / (n - 1));
    double half = tQuantile(0.5 + CONFIDENCE / 2, n - 1) * sd / Math.sqrt(n);
    return new Estimate(values.clone(), mean, half);
  }

  /** The {@code p}-quantile of Student's t distribution with {@code degreesOfFreedom} (Apache Commons Math). */
  public static double tQuantile(double p, int degreesOfFreedom) {
    if (degreesOfFreedom < 1) {
      throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + degreesOfFreedom);
    }
    return new TDistribution(null, degreesOfFreedom, 1e-14).inverseCumulativeProbability(p);
  }

  /** Which checkpoints a gap is averaged over. */
  public enum Window {
    /** All but the last checkpoint (the only one when there is one). */
    INTERMEDIATE,
    /** The intermediate checkpoints after the first one past warm-up. */
    AFTER_FIRST_POST_WARMUP
  }

  /**
   * The indices of the checkpoints in {@code window}, for checkpoints at {@code steps} of a run with
   * {@code warmupSteps} of learning-rate warm-up; may be empty for {@link Window#AFTER_FIRST_POST_WARMUP}.
   */
  public static int[] window(long[] steps, long warmupSteps, Window window) {
    int k = steps.length;
    int intermediate = k == 1 ? 1 : k - 1;
    int from = 0;
    if (window == Window.AFTER_FIRST_POST_WARMUP) {
      int firstAfter = k;
      for (int i = 0; i < k; i++) {
        if (steps[i] > warmupSteps) {
          firstAfter = i;
          break;
        }
      }
      from = firstAfter + 1;
    }
    int n = Math.max(0, intermediate - from);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = from + i;
    }
    return out;
  }

  /** The mean of {@code a[k] - b[k]} over {@code window}; NaN for an empty window. */
  public static double signedGap(double[] a, double[] b, int[] window) {
    double s = 0;
    for (int k : window) {
      s += a[k] - b[k];
    }
    return window.length == 0 ? Double.NaN : s / window.length;
  }

  /** The mean of {@code |a[k] - b[k]|} over {@code window}; NaN for an empty window. */
  public static double unsignedGap(double[] a, double[] b, int[] window) {
    double s = 0;
    for (int k : window) {
      s += Math.abs(a[k] - b[k]);
    }
    return window.length == 0 ? Double.NaN : s / window.length;
  }

  /** The mean trajectory over seeds. */
  public static double[] seedMean(double[][] fid) {
    double[] m = new double[fid[0].length];
    for (double[] run : fid) {
      for (int k = 0; k < m.length; k++) {
        m[k] += run[k] / fid.length;
      }
    }
    return m;
  }

  /**
   * The gaps of weighter a against weighter b, paired by seed.
   *
   * @param signed the signed gap per seed, their mean and interval
   * @param unsigned the unsigned gap per seed (the paper's single-trajectory statistic), mean and interval
   * @param unsignedOfSeedMeans the unsigned gap between the two seed-mean trajectories
   */
  public record PairedGaps(Estimate signed, Estimate unsigned, double unsignedOfSeedMeans) {}

  /** Gaps of {@code a} against {@code b} over {@code window}; both {@code [seed][checkpoint]}, seeds aligned. */
  public static PairedGaps pairedGaps(double[][] a, double[][] b, int[] window) {
    if (a.length != b.length || a.length == 0) {
      throw new IllegalArgumentException("paired gaps need the same seeds on both sides, got " + a.length
          + " and " + b.length);
    }
    double[] signed = new double[a.length];
    double[] unsigned = new double[a.length];
    for (int s = 0; s < a.length; s++) {
      signed[s] = signedGap(a[s], b[s], window);
      unsigned[s] = unsignedGap(a[s], b[s], window);
    }
    if (window.length == 0) {
      return new PairedGaps(estimate(new double[0]), estimate(new double[0]), Double.NaN);
    }
    return new PairedGaps(estimate(signed), estimate(unsigned), unsignedGap(seedMean(a), seedMean(b), window));
  }

  /** How the step at which a trajectory reaches a threshold is defined. */
  public enum Rule {
    /** The first time it is at or below the threshold. */
    FIRST_REACH,
    /** The time from which on it stays at or below the threshold (up to the last checkpoint). */
    STAY_BELOW
  }

  /** What happened at a threshold. */
  public enum Outcome {
    /** Crossed between two checkpoints: the step is interpolated. */
    REACHED,
    /** Already at or below the threshold at the first checkpoint: crossed at an unknown earlier step. */
    CENSORED,
    /** Never (first reach), or not for good (stay below): above it at the last checkpoint. */
    NOT_REACHED
  }

  /**
   * When a trajectory reached a threshold.
   *
   * @param outcome what happened
   * @param step the interpolated step when {@link Outcome#REACHED}; the first checkpoint's step (an upper
   *     bound) when censored; NaN when not reached
   */
  public record Crossing(Outcome outcome, double step) {
    public boolean reached() {
      return outcome == Outcome.REACHED;
    }
  }

  /**
   * The step at which {@code fid} (at {@code steps}) reaches {@code threshold} under {@code rule}, linearly
   * interpolated between the checkpoint above and the checkpoint at or below it.
   */
  public static Crossing crossing(long[] steps, double[] fid, double threshold, Rule rule) {
    int k = fid.length;
    int below;
    if (rule == Rule.FIRST_REACH) {
      below = -1;
      for (int i = 0; i < k; i++) {
        if (fid[i] <= threshold) {
          below = i;
          break;
        }
      }
      if (below < 0) {
        return new Crossing(Outcome.NOT_REACHED, Double.NaN);
      }
    } else {
      int lastAbove = -1;
      for (int i = 0; i < k; i++) {
        if (fid[i] > threshold) {
          lastAbove = i;
        }
      }
      if (lastAbove == k - 1) {
        return new Crossing(Outcome.NOT_REACHED, Double.NaN);
      }
      below = lastAbove + 1;
    }
    if (below == 0) {
      return new Crossing(Outcome.CENSORED, steps[0]);
    }
    double u = (fid[below - 1] - threshold) / (fid[below - 1] - fid[below]);
    return new Crossing(Outcome.REACHED, steps[below - 1] + u * (steps[below] - steps[below - 1]));
  }

  /**
   * The reference's mid-training checkpoints: the middle third of the intermediate ones (indices
   * {@code floor(m/3)} to {@code max(floor(m/3) + 1, floor((2m + 2)/3)) - 1} of the {@code m} intermediate
   * checkpoints), where every run is still improving.
   */
  public static int[] midTraining(int checkpoints) {
    int intermediate = Math.max(1, checkpoints - 1);
    int from = intermediate / 3;
    int to = Math.max(from + 1, (2 * intermediate + 2) / 3);
    int[] out = new int[to - from];
    for (int i = from; i < to; i++) {
      out[i - from] = i;
    }
    return out;
  }

  /**
   * One threshold: the reference's FID at one of its mid-training checkpoints, and when the reference and
   * the run reached it.
   *
   * @param checkpoint the index of the reference's checkpoint the threshold comes from
   * @param earlier {@code 1 - run / reference} steps when both {@link Outcome#REACHED}, else empty
   */
  public record Threshold(int checkpoint, double value, Crossing reference, Crossing run, OptionalDouble earlier) {
    /** Whether either side is censored (then it counts in no mean). */
    public boolean censored() {
      return reference.outcome() == Outcome.CENSORED || run.outcome() == Outcome.CENSORED;
    }
  }

  /** Every mid-training threshold of {@code reference}, with when it and {@code run} reached it. */
  public static List<Threshold> thresholds(long[] steps, double[] reference, double[] run, Rule rule) {
    List<Threshold> out = new ArrayList<>();
    for (int k : midTraining(steps.length)) {
      double value = reference[k];
      Crossing r = crossing(steps, reference, value, rule);
      Crossing w = crossing(steps, run, value, rule);
      OptionalDouble earlier = r.reached() && w.reached()
          ? OptionalDouble.of(1 - w.step() / r.step()) : OptionalDouble.empty();
      out.add(new Threshold(k, value, r, w, earlier));
    }
    return out;
  }

  /**
   * "Earlier" over a set of thresholds.
   *
   * @param mean the mean over the thresholds where it is defined; NaN when there is none
   * @param counted how many thresholds the mean is over
   * @param censored thresholds left out because the run or the reference was censored
   * @param notReached thresholds left out because the run or the reference did not reach them (and
   *     neither was censored)
   */
  public record Earlier(double mean, int counted, int censored, int notReached) {
    public int total() {
      return counted + censored + notReached;
    }
  }

  /** Summarizes {@code thresholds}: censored and unreached ones are counted, not averaged. */
  public static Earlier earlier(List<Threshold> thresholds) {
    double sum = 0;
    int counted = 0;
    int censored = 0;
    int notReached = 0;
    for (Threshold t : thresholds) {
      if (t.earlier().isPresent()) {
        sum += t.earlier().getAsDouble();
        counted++;
      } else if (t.censored()) {
        censored++;
      } else {
        notReached++;
      }
    }
    return new Earlier(counted == 0 ? Double.NaN : sum / counted, counted, censored, notReached);
  }

  /**
   * "Earlier" of a weighter against the reference.
   *
   * @param perSeed on each seed's own pair of trajectories, thresholds from that seed's reference run (the
   *     paper's single-trajectory statistic)
   * @param overSeeds the mean of the per-seed means (seeds with none left out) and its paired interval
   * @param ofSeedMeans on the two seed-mean trajectories, thresholds from the reference's mean
   * @param thresholdsOfSeedMeans the thresholds behind {@code ofSeedMeans}, for the per-threshold table
   */
  public record ThresholdSummary(
      List<Earlier> perSeed, Estimate overSeeds, Earlier ofSeedMeans, List<Threshold> thresholdsOfSeedMeans) {}

  /** Steps to the reference's thresholds of {@code run} under {@code rule}; both {@code [seed][checkpoint]}. */
  public static ThresholdSummary thresholdSummary(long[] steps, double[][] reference, double[][] run, Rule rule) {
    if (reference.length != run.length || run.length == 0) {
      throw new IllegalArgumentException("paired thresholds need the same seeds on both sides");
    }
    List<Earlier> perSeed = new ArrayList<>();
    double[] means = new double[run.length];
    int n = 0;
    for (int s = 0; s < run.length; s++) {
      Earlier e = earlier(thresholds(steps, reference[s], run[s], rule));
      perSeed.add(e);
      if (e.counted() > 0) {
        means[n++] = e.mean();
      }
    }
    List<Threshold> ofMeans = thresholds(steps, seedMean(reference), seedMean(run), rule);
    return new ThresholdSummary(List.copyOf(perSeed), estimate(Arrays.copyOf(means, n)), earlier(ofMeans),
        ofMeans);
  }

  /**
   * The null check: two seeds of one weighter compared as if they were two weighters (seed a against
   * seed b, b in the reference's place), with every single-trajectory statistic of the report. Nothing
   * differs between them but the seed, so these values show what the statistics read when nothing
   * differs. Two seeds share nothing (initialization, data order, noise), while two weighters at one
   * seed share all of it, so this reads on the high side of what a paired comparison shows.
   *
   * @param signed signed gap a - b over {@link Window#INTERMEDIATE}
   * @param unsigned unsigned gap over {@link Window#INTERMEDIATE}
   * @param signedAfterWarmup signed gap over {@link Window#AFTER_FIRST_POST_WARMUP}
   * @param unsignedAfterWarmup unsigned gap over {@link Window#AFTER_FIRST_POST_WARMUP}
   * @param firstReach "earlier" of a against b's thresholds, first-reach rule
   * @param stayBelow the same, stay-below rule
   */
  public record NullPair(long seedA, long seedB, double signed, double unsigned, double signedAfterWarmup,
      double unsignedAfterWarmup, Earlier firstReach, Earlier stayBelow) {}

  /** Every pair of seeds of one weighter; {@code fid[i]} is the run at {@code seeds[i]}. */
  public static List<NullPair> nullCheck(long[] seeds, long[] steps, double[][] fid, long warmupSteps) {
    int[] all = window(steps, warmupSteps, Window.INTERMEDIATE);
    int[] late = window(steps, warmupSteps, Window.AFTER_FIRST_POST_WARMUP);
    List<NullPair> out = new ArrayList<>();
    for (int i = 0; i < fid.length; i++) {
      for (int j = i + 1; j < fid.length; j++) {
        out.add(new NullPair(seeds[i], seeds[j],
            signedGap(fid[i], fid[j], all), unsignedGap(fid[i], fid[j], all),
            signedGap(fid[i], fid[j], late), unsignedGap(fid[i], fid[j], late),
            earlier(thresholds(steps, fid[j], fid[i], Rule.FIRST_REACH)),
            earlier(thresholds(steps, fid[j], fid[i], Rule.STAY_BELOW))));
      }
    }
    return out;
  }

  /** The mean of a weight table: its mean under uniformly drawn timesteps. */
  public static double meanWeight(double[] weights) {
    double s = 0;
    for (double w : weights) {
      s += w;
    }
    return s / weights.length;
  }
}
