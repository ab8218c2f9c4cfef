package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RunConcurrencyTest {
  static RunConcurrency resolve(String master, List<String> conf, Integer threads, int cores, int runs) {
    return RunConcurrency.resolve(SparkOptions.parse(master, conf), Map.of(),
        threads == null ? OptionalInt.empty() : OptionalInt.of(threads), cores, runs, Map.of());
  }

  static final String OURS_4 = "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=4"
      + " -Dai.djl.pytorch.num_interop_threads=1";

  @Test
  void embeddedGivesTheOneRunThatTrainsAtATimeAllTheCores() {
    // runs in one JVM train one at a time: a second slot would hold a waiting run and the cores it was given
    RunConcurrency d = resolve(null, List.of(), null, 8, 12);
    assertThat(d.options().master()).hasValue("local[1,4]");
    assertThat(d.slots()).hasValue(1);
    assertThat(d.threadsPerRun()).isEqualTo(8);
    assertThat(resolve(null, List.of(), null, 2, 1).threadsPerRun()).isEqualTo(2);
    // --threads-per-run sets the threads; the one slot stays
    RunConcurrency narrow = resolve(null, List.of(), 1, 8, 12);
    assertThat(narrow.options().master()).hasValue("local[1,4]");
    assertThat(narrow.threadsPerRun()).isEqualTo(1);
    assertThat(resolve(null, List.of(), 16, 8, 12).options().master()).hasValue("local[1,4]");
    assertThat(resolve(null, List.of(), 16, 8, 12).threadsPerRun()).isEqualTo(16);
  }

  @Test
  void aLocalMasterKeepsItsSlotsAndItsRunGetsAllTheCores() {
    RunConcurrency two = resolve("local[2]", List.of(), null, 8, 12);
    assertThat(two.options().master()).hasValue("local[2]");
    assertThat(two.slots()).hasValue(2);
    assertThat(two.threadsPerRun()).isEqualTo(8); // was 8 / 2 = 4 while the runs trained one at a time
    assertThat(resolve("local[2]", List.of(), 1, 8, 12).threadsPerRun()).isEqualTo(1);
    assertThat(resolve("local[4,3]", List.of(), null, 2, 12).threadsPerRun()).isEqualTo(2);
    assertThat(resolve("local[4,3]", List.of(), null, 2, 12).options().conf()).isEmpty();
  }

  @Test
  void onAClusterEachRunIsAnExecutorWithItsThreadsAsCores() {
    RunConcurrency c = RunConcurrency.resolve(SparkOptions.parse("spark://m:7077", List.of()), Map.of(),
        OptionalInt.of(4), 2, 12, Map.of("OMP_WAIT_POLICY", "ACTIVE", "HOME", "/root"));
    assertThat(c.slots()).isEmpty();
    assertThat(c.threadsPerRun()).isEqualTo(4);
    assertThat(c.options().conf()).containsEntry("spark.task.cpus", "4").containsEntry("spark.executor.cores", "4")
        .containsEntry("spark.executor.extraJavaOptions", OURS_4)
        .containsEntry("spark.executorEnv.OMP_WAIT_POLICY", "ACTIVE")
        .doesNotContainKey("spark.executorEnv.HOME");
    // nothing given: one-core executors, one run each
    RunConcurrency bare = resolve("spark://m:7077", List.of(), null, 2, 12);
    assertThat(bare.threadsPerRun()).isEqualTo(1);
    assertThat(bare.options().conf()).containsEntry("spark.task.cpus", "1").containsEntry("spark.executor.cores", "1");
  }

  @Test
  void anExecutorsCoresAllGoToItsOneTrainingRun() {
    // an executor of 6 cores trains one run at a time: that run gets the 6 cores, and Spark gives it the
    // executor's 6 cores (one task per executor) rather than queueing six one-core tasks behind each other
    RunConcurrency e = resolve("spark://m:7077", List.of("spark.executor.cores=6"), null, 2, 12);
    assertThat(e.threadsPerRun()).isEqualTo(6);
    assertThat(e.options().conf()).containsEntry("spark.executor.cores", "6").containsEntry("spark.task.cpus", "6");
    // spark.task.cpus alone: the executors are made that wide
    RunConcurrency t = resolve("spark://m:7077", List.of("spark.task.cpus=3"), null, 2, 12);
    assertThat(t.threadsPerRun()).isEqualTo(3);
    assertThat(t.options().conf()).containsEntry("spark.task.cpus", "3").containsEntry("spark.executor.cores", "3");
    // both given: kept as given; the run still gets the executor's cores
    RunConcurrency both = resolve("spark://m:7077", List.of("spark.executor.cores=8", "spark.task.cpus=2"), null,
        2, 12);
    assertThat(both.threadsPerRun()).isEqualTo(8);
    assertThat(both.options().conf()).containsEntry("spark.executor.cores", "8").containsEntry("spark.task.cpus", "2");
    assertThatThrownBy(() -> resolve("spark://m:7077", List.of("spark.executor.cores=0"), null, 2, 12))
        .isInstanceOf(SparkSetupException.class)
        .hasMessage("spark.executor.cores=0: expected a whole number of cores, at least 1");
  }

  @Test
  void aUsersExecutorJavaOptionsAreKeptAndOursAddedWhereTheyDoNotSetThem() {
    RunConcurrency given = resolve("spark://m:7077", List.of("spark.executor.extraJavaOptions=-Xss4m -Dx=\"a b\""),
        4, 2, 12);
    assertThat(given.options().conf()).containsEntry("spark.executor.extraJavaOptions",
        OURS_4 + " -Xss4m -Dx=\"a b\"");
    // a property the user sets is theirs; the others are added before their options
    RunConcurrency threads = resolve("spark://m:7077",
        List.of("spark.executor.extraJavaOptions=-Dai.djl.pytorch.num_threads=8 -Dai.djl.offline=false"), 4, 2, 12);
    assertThat(threads.options().conf()).containsEntry("spark.executor.extraJavaOptions",
        "-Dai.djl.pytorch.num_interop_threads=1 -Dai.djl.pytorch.num_threads=8 -Dai.djl.offline=false");
    // a longer property that starts with one of ours does not count as setting it
    assertThat(RunConcurrency.mergeJavaOptions("-Dai.djl.offline.extra=1", Map.of("ai.djl.offline", "true")))
        .isEqualTo("-Dai.djl.offline=true -Dai.djl.offline.extra=1");
    assertThat(RunConcurrency.mergeJavaOptions("  ", Map.of("k", "v"))).isEqualTo("-Dk=v");
    assertThat(RunConcurrency.mergeJavaOptions("-Dk", Map.of("k", "v"))).isEqualTo("-Dk");
  }

  @Test
  void whatSparkSubmitSetIsGivenToo() {
    // spark-submit passes its --conf options (and spark-defaults.conf) as system properties: the driver's
    // SparkConf would see them under the properties jdiffusion sets, so those must merge with them, not
    // replace them
    Map<String, String> submitted = Map.of("spark.master", "spark://m:7077",
        "spark.executor.extraJavaOptions", "-XX:+UseG1GC", "spark.task.cpus", "2",
        "spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
    RunConcurrency s = RunConcurrency.resolve(SparkOptions.defaults(), submitted, OptionalInt.empty(), 2, 12,
        Map.of("OMP_WAIT_POLICY", "ACTIVE", "GOMP_SPINCOUNT", "0"));
    assertThat(s.slots()).isEmpty();
    assertThat(s.threadsPerRun()).isEqualTo(2);
    assertThat(s.options().master()).isEmpty(); // SparkRunner takes spark-submit's master
    assertThat(s.options().conf()).doesNotContainKeys("spark.task.cpus", "spark.executorEnv.OMP_WAIT_POLICY")
        .containsEntry("spark.executor.cores", "2")
        .containsEntry("spark.executorEnv.GOMP_SPINCOUNT", "0")
        .containsEntry("spark.executor.extraJavaOptions", "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2"
            + " -Dai.djl.pytorch.num_interop_threads=1 -XX:+UseG1GC");
    // --conf wins over spark-submit
    RunConcurrency c = RunConcurrency.resolve(SparkOptions.parse(null, List.of("spark.executor.extraJavaOptions=-Xss4m")),
        submitted, OptionalInt.of(1), 2, 12, Map.of());
    assertThat(c.options().conf()).containsEntry("spark.executor.extraJavaOptions",
        "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 -Xss4m");
  }

  @Test
  void theMasterSparkSubmitSetIsUsedWhenNoneIsGiven() {
    RunConcurrency submitted = RunConcurrency.resolve(SparkOptions.defaults(), Map.of("spark.master", "local[3]"),
        OptionalInt.empty(), 6, 12, Map.of());
    assertThat(submitted.slots()).hasValue(3);
    assertThat(submitted.threadsPerRun()).isEqualTo(6);
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
