package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RunConcurrencyTest {
  static RunConcurrency resolve(String master, List<String> conf, Integer threads, int cores, int runs) {
    return RunConcurrency.resolve(SparkOptions.parse(master, conf), Optional.empty(),
        threads == null ? OptionalInt.empty() : OptionalInt.of(threads), cores, runs, Map.of());
  }

  @Test
  void embeddedSplitsTheCoresAmongConcurrentRuns() {
    RunConcurrency d = resolve(null, List.of(), null, 8, 12);
    assertThat(d.options().master()).hasValue("local[8,4]");
    assertThat(d.slots()).hasValue(8);
    assertThat(d.threadsPerRun()).isEqualTo(1);
    // fewer runs than cores: the spare cores go to the runs' threads
    RunConcurrency few = resolve(null, List.of(), null, 8, 3);
    assertThat(few.options().master()).hasValue("local[3,4]");
    assertThat(few.threadsPerRun()).isEqualTo(2);
    // --threads-per-run decides the slots
    RunConcurrency wide = resolve(null, List.of(), 4, 8, 12);
    assertThat(wide.options().master()).hasValue("local[2,4]");
    assertThat(wide.threadsPerRun()).isEqualTo(4);
    assertThat(resolve(null, List.of(), 16, 8, 12).options().master()).hasValue("local[1,4]");
  }

  @Test
  void aLocalMasterKeepsItsSlots() {
    RunConcurrency two = resolve("local[2]", List.of(), null, 8, 12);
    assertThat(two.options().master()).hasValue("local[2]");
    assertThat(two.slots()).hasValue(2);
    assertThat(two.threadsPerRun()).isEqualTo(4);
    assertThat(resolve("local[2]", List.of(), 1, 8, 12).threadsPerRun()).isEqualTo(1);
    assertThat(resolve("local[4,3]", List.of(), null, 2, 12).threadsPerRun()).isEqualTo(1);
  }

  @Test
  void onAClusterThreadsPerRunReservesCoresAndPinsLibtorch() {
    RunConcurrency c = RunConcurrency.resolve(SparkOptions.parse("spark://m:7077", List.of()), Optional.empty(),
        OptionalInt.of(4), 2, 12, Map.of("OMP_WAIT_POLICY", "ACTIVE", "HOME", "/root"));
    assertThat(c.slots()).isEmpty();
    assertThat(c.threadsPerRun()).isEqualTo(4);
    assertThat(c.options().conf()).containsEntry("spark.task.cpus", "4")
        .containsEntry("spark.executor.extraJavaOptions",
            "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=4 -Dai.djl.pytorch.num_interop_threads=1")
        .containsEntry("spark.executorEnv.OMP_WAIT_POLICY", "ACTIVE")
        .doesNotContainKey("spark.executorEnv.HOME");
    // given properties win; without --threads-per-run, spark.task.cpus says how many threads a run gets
    RunConcurrency given = resolve("spark://m:7077", List.of("spark.task.cpus=2",
        "spark.executor.extraJavaOptions=-Xss4m"), null, 2, 12);
    assertThat(given.threadsPerRun()).isEqualTo(2);
    assertThat(given.options().conf()).containsEntry("spark.task.cpus", "2")
        .containsEntry("spark.executor.extraJavaOptions", "-Xss4m");
    assertThat(resolve("spark://m:7077", List.of(), null, 2, 12).threadsPerRun()).isEqualTo(1);
  }

  @Test
  void theMasterSparkSubmitSetIsUsedWhenNoneIsGiven() {
    RunConcurrency submitted = RunConcurrency.resolve(SparkOptions.defaults(), Optional.of("local[3]"),
        OptionalInt.empty(), 6, 12, Map.of());
    assertThat(submitted.slots()).hasValue(3);
    assertThat(submitted.threadsPerRun()).isEqualTo(2);
  }

  @Test
  void refusesLessThanOneThread() {
    assertThatThrownBy(() -> resolve(null, List.of(), 0, 8, 12)).isInstanceOf(SparkSetupException.class)
        .hasMessage("--threads-per-run 0: expected at least 1");
  }

  @Test
  void speculationIsRefusedBecauseARunMustNotTrainTwiceAtOnce() {
    assertThatThrownBy(() -> SparkComparison.checkOptions(SparkOptions.parse(null, List.of("spark.speculation=true"))))
        .isInstanceOf(SparkSetupException.class).hasMessageStartingWith("--conf spark.speculation=true: jdiffusion"
            + " runs must not be speculated");
    SparkComparison.checkOptions(SparkOptions.parse(null, List.of("spark.speculation=false")));
  }
}
