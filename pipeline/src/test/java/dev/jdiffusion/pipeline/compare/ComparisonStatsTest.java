package dev.jdiffusion.pipeline.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.pipeline.compare.ComparisonStats.MeanTrajectory;
import dev.jdiffusion.pipeline.compare.ComparisonStats.Trajectory;
import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonStatsTest {
  static final long[] STEPS = {100, 200, 300, 400, 500, 600, 700, 800};

  @Test
  void averagesSeedsWithSampleStd() {
    List<MeanTrajectory> m = ComparisonStats.average(List.of(
        new Trajectory("cosine", "uniform", 1, new long[] {1, 2}, new double[] {10, 4}),
        new Trajectory("cosine", "uniform", 2, new long[] {1, 2}, new double[] {12, 6}),
        new Trajectory("cosine", "min-snr", 1, new long[] {1, 2}, new double[] {9, 5})));
    assertThat(m).hasSize(2);
    assertThat(m.get(0).mean()).containsExactly(11, 5);
    assertThat(m.get(0).std()[0]).isCloseTo(Math.sqrt(2), within(1e-12)); // (1 + 1) / (2 - 1)
    assertThat(m.get(1).seeds()).isEqualTo(1);
    assertThat(m.get(1).std()).containsExactly(0, 0);
  }

  @Test
  void meanGapUsesTheIntermediateCheckpoints() {
    MeanTrajectory a = mean("a", 30, 20, 15, 12, 10, 9, 8, 1);
    MeanTrajectory b = mean("b", 31, 19, 15, 13, 10, 9, 7, 100);
    // |diffs| over the first seven: 1 + 1 + 0 + 1 + 0 + 0 + 1 = 4; the final checkpoint is left out.
    assertThat(ComparisonStats.meanAbsoluteGap(a, b)).isCloseTo(4.0 / 7, within(1e-12));
  }

  @Test
  void thresholdsAreTheReferencesMidTrainingFids() {
    MeanTrajectory ddpm = mean("uniform", 70, 50, 40, 33, 28, 25, 23, 22);
    // seven intermediate checkpoints: the middle third is indices 2..4
    assertThat(ComparisonStats.midTrainingThresholds(ddpm)).containsExactly(40, 33, 28);
  }

  @Test
  void stepsToReachInterpolatesBetweenCheckpoints() {
    MeanTrajectory run = mean("w", 70, 50, 40, 33, 28, 25, 23, 22);
    assertThat(ComparisonStats.stepsToReach(run, 45).getAsDouble()).isCloseTo(250, within(1e-9));
    assertThat(ComparisonStats.stepsToReach(run, 70).getAsDouble()).isEqualTo(100);
    assertThat(ComparisonStats.stepsToReach(run, 21)).isEmpty();
  }

  @Test
  void stepsToReachIgnoresAnEarlyDipThatDoesNotLast() {
    // below 60 at step 100, above it again at 200-300, below for good from between 300 and 400
    MeanTrajectory run = mean("w", 55, 65, 62, 58, 56, 54, 53, 52);
    assertThat(ComparisonStats.stepsToReach(run, 60).getAsDouble()).isCloseTo(350, within(1e-9)); // 62 -> 58
    assertThat(ComparisonStats.stepsToReach(run, 66).getAsDouble()).isEqualTo(100);
    assertThat(ComparisonStats.stepsToReach(run, 52.5).getAsDouble()).isCloseTo(750, within(1e-9));
  }

  @Test
  void refusesTrajectoriesOnDifferentCheckpoints() {
    assertThatThrownBy(() -> ComparisonStats.average(List.of(
            new Trajectory("c", "u", 1, new long[] {1, 2}, new double[] {1, 2}),
            new Trajectory("c", "u", 2, new long[] {1, 3}, new double[] {1, 2}))))
        .hasMessageContaining("different steps");
    assertThatThrownBy(() -> new Trajectory("c", "u", 1, new long[] {2, 1}, new double[] {1, 2}))
        .hasMessageContaining("must increase");
  }

  static MeanTrajectory mean(String w, double... fid) {
    return ComparisonStats.average(List.of(new Trajectory("cosine", w, 0, STEPS, fid))).get(0);
  }

  @Test
  void seedGapAveragesEveryPairOverTheIntermediateCheckpoints() {
    List<Trajectory> runs = List.of(
        new Trajectory("cosine", "uniform", 0, new long[] {1, 2, 3}, new double[] {10, 4, 1}),
        new Trajectory("cosine", "uniform", 1, new long[] {1, 2, 3}, new double[] {12, 6, 2}),
        new Trajectory("cosine", "uniform", 2, new long[] {1, 2, 3}, new double[] {13, 4, 0}),
        new Trajectory("cosine", "min-snr", 0, new long[] {1, 2, 3}, new double[] {9, 5, 1}),
        new Trajectory("linear", "uniform", 0, new long[] {1, 2, 3}, new double[] {50, 50, 50}));
    // pairs (0,1): 2 + 2, (0,2): 3 + 0, (1,2): 1 + 2; the last checkpoint is not intermediate: 10 / 6
    assertThat(ComparisonStats.meanSeedGap(runs, "cosine", "uniform").getAsDouble()).isCloseTo(10.0 / 6, within(1e-12));
    assertThat(ComparisonStats.meanSeedGap(runs, "cosine", "min-snr")).isEmpty();
    assertThat(ComparisonStats.meanSeedGap(runs, "linear", "uniform")).isEmpty();
  }
}
