package dev.jdiffusion.pipeline.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.pipeline.compare.ComparisonStats.MeanTrajectory;
import dev.jdiffusion.pipeline.compare.ComparisonStats.Trajectory;
import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonStatsTest {

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
  void refusesTrajectoriesOnDifferentCheckpoints() {
    assertThatThrownBy(() -> ComparisonStats.average(List.of(
            new Trajectory("c", "u", 1, new long[] {1, 2}, new double[] {1, 2}),
            new Trajectory("c", "u", 2, new long[] {1, 3}, new double[] {1, 2}))))
        .hasMessageContaining("different steps");
    assertThatThrownBy(() -> new Trajectory("c", "u", 1, new long[] {2, 1}, new double[] {1, 2}))
        .hasMessageContaining("must increase");
  }
}
