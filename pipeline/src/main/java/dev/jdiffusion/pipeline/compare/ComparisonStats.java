package dev.jdiffusion.pipeline.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The statistics of the smoothed-KL paper's protocol, computed from FID trajectories (FID at a list of
 * training steps, one trajectory per schedule, weighter and seed):
 * <ul>
 *   <li>the mean and spread over seeds at each checkpoint;
 *   <li>the mean absolute FID gap between two weighters over the intermediate checkpoints (the paper's
 *       "|Ours - Min-SNR| averages 0.45 FID across seven intermediate checkpoints"), and its ratio to each
 *       one's gap to the reference (DDPM, i.e. uniform weighting);
 *   <li>the training step from which on a weighter stays at or below an FID threshold, by linear
 *       interpolation between checkpoints (the paper's "about 21% earlier than DDPM at mid-training FID thresholds").
 *       The thresholds are the reference's own FIDs at its mid-training checkpoints (the middle third of
 *       the intermediate checkpoints), so that "earlier" is measured where every run is still improving.
 * </ul>
 */
public final class ComparisonStats {
  private ComparisonStats() {}

  /** One training run's FID at each checkpoint step (ascending). */
  public record Trajectory(String schedule, String weighter, long seed, long[] steps, double[] fid) {
    public Trajectory {
      if (steps.length != fid.length || steps.length == 0) {
        throw new IllegalArgumentException("steps and fid must be non-empty and of equal length");
      }
      for (int i = 1; i < steps.length; i++) {
        if (steps[i] <= steps[i - 1]) {
          throw new IllegalArgumentException("checkpoint steps must increase: " + java.util.Arrays.toString(steps));
        }
      }
    }
  }

  /** Mean and sample standard deviation over seeds at each checkpoint (std 0 with one seed). */
  public record MeanTrajectory(String schedule, String weighter, int seeds, long[] steps, double[] mean, double[] std) {
    /** The FID at the last checkpoint. */
    public double last() {
      return mean[mean.length - 1];
    }
  }

  /** Groups runs by (schedule, weighter), in first-seen order, and averages over seeds. */
  public static List<MeanTrajectory> average(List<Trajectory> runs) {
    Map<String, List<Trajectory>> groups = new LinkedHashMap<>();
    for (Trajectory r : runs) {
      groups.computeIfAbsent(r.schedule() + "\u0000" + r.weighter(), k -> new ArrayList<>()).add(r);
    }
    List<MeanTrajectory> out = new ArrayList<>();
    for (List<Trajectory> g : groups.values()) {
      long[] steps = g.get(0).steps();
      for (Trajectory r : g) {
        if (!java.util.Arrays.equals(r.steps(), steps)) {
          throw new IllegalArgumentException("runs of " + r.schedule() + "/" + r.weighter()
              + " were scored at different steps; seeds can only be averaged on the same checkpoints");
        }
      }
      int k = steps.length;
      double[] mean = new double[k];
      double[] std = new double[k];
      for (int i = 0; i < k; i++) {
        double s = 0;
        for (Trajectory r : g) {
          s += r.fid()[i];
        }
        mean[i] = s / g.size();
        double ss = 0;
        for (Trajectory r : g) {
          ss += (r.fid()[i] - mean[i]) * (r.fid()[i] - mean[i]);
        }
        std[i] = g.size() > 1 ? Math.sqrt(ss / (g.size() - 1)) : 0;
      }
      out.add(new MeanTrajectory(g.get(0).schedule(), g.get(0).weighter(), g.size(), steps, mean, std));
    }
    return out;
  }

  /**
   * Mean of |a - b| over the intermediate checkpoints (all but the last), or over the only checkpoint
   * when there is one.
   */
  public static double meanAbsoluteGap(MeanTrajectory a, MeanTrajectory b) {
    if (!java.util.Arrays.equals(a.steps(), b.steps())) {
      throw new IllegalArgumentException(a.weighter() + " and " + b.weighter() + " were scored at different steps");
    }
    int k = a.steps().length == 1 ? 1 : a.steps().length - 1;
    double s = 0;
    for (int i = 0; i < k; i++) {
      s += Math.abs(a.mean()[i] - b.mean()[i]);
    }
    return s / k;
  }

  /** The reference's FIDs at its mid-training checkpoints: the middle third of the intermediate ones. */
  public static double[] midTrainingThresholds(MeanTrajectory reference) {
    int intermediate = Math.max(1, reference.steps().length - 1);
    int from = intermediate / 3;
    int to = Math.max(from + 1, (2 * intermediate + 2) / 3);
    double[] out = new double[to - from];
    for (int i = from; i < to; i++) {
      out[i - from] = reference.mean()[i];
    }
    return out;
  }

  /**
   * The training step from which on the trajectory's mean FID stays at or below {@code threshold}: the
   * crossing into its last run of checkpoints at or below it, linearly interpolated between the two
   * checkpoints around that crossing; empty when the last checkpoint is above it. For a trajectory that
   * only improves this is the first crossing; for a noisy one (early FIDs that dip and rise again, as
   * small runs show) it ignores a dip that does not last, which a first-crossing rule would count as
   * having reached the threshold.
   */
  public static OptionalDouble stepsToReach(MeanTrajectory run, double threshold) {
    double[] f = run.mean();
    long[] s = run.steps();
    int lastAbove = -1;
    for (int i = 0; i < f.length; i++) {
      if (f[i] > threshold) {
        lastAbove = i;
      }
    }
    if (lastAbove == f.length - 1) {
      return OptionalDouble.empty();
    }
    if (lastAbove < 0) {
      return OptionalDouble.of(s[0]);
    }
    int i = lastAbove + 1;
    double u = (f[i - 1] - threshold) / (f[i - 1] - f[i]);
    return OptionalDouble.of(s[i - 1] + u * (s[i] - s[i - 1]));
  }

  /**
   * The seed-to-seed noise of one (schedule, weighter): the mean of |FID(seed i) - FID(seed j)| over every
   * pair of seeds and over the intermediate checkpoints (all but the last, or the only one); empty with
   * fewer than two seeds. Two weighters that do not differ at all still show a mean gap of about this
   * size divided by sqrt(seeds) between their seed means.
   */
  public static OptionalDouble meanSeedGap(List<Trajectory> runs, String schedule, String weighter) {
    List<Trajectory> g = runs.stream()
        .filter(r -> r.schedule().equals(schedule) && r.weighter().equals(weighter)).toList();
    if (g.size() < 2) {
      return OptionalDouble.empty();
    }
    int k = g.get(0).steps().length == 1 ? 1 : g.get(0).steps().length - 1;
    double s = 0;
    int pairs = 0;
    for (int a = 0; a < g.size(); a++) {
      for (int b = a + 1; b < g.size(); b++) {
        for (int i = 0; i < k; i++) {
          s += Math.abs(g.get(a).fid()[i] - g.get(b).fid()[i]);
        }
        pairs++;
      }
    }
    return OptionalDouble.of(s / (pairs * k));
  }
}
