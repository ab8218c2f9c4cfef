package dev.jdiffusion.pipeline.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FID trajectories (FID at a list of training steps, one trajectory per schedule, weighter and seed) and
 * their mean and spread over seeds at each checkpoint. The comparison's statistics are
 * {@link TrajectoryStats}'.
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
}
