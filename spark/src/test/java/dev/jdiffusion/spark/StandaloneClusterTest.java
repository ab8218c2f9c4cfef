package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.pipeline.Comparison;
import dev.jdiffusion.pipeline.Environment;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import dev.jdiffusion.trainer.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs on a real Spark cluster: a standalone master and worker started as separate JVMs on this machine
 * ({@link StandaloneCluster}); each application's executor is a third JVM. The worker offers two stand-in GPUs
 * (a fake {@code nvidia-smi} behind the real discovery script): only addresses are scheduled, no GPU is used.
 *
 * <p>Minutes (the {@code --quick} grid trains in executor JVMs): tagged {@code cluster}, which {@code ./mvnw
 * verify} leaves out and {@code .ci/run} runs.
 */
@Tag("cluster")
class StandaloneClusterTest {
  @TempDir static Path work;
  static StandaloneCluster cluster;
  static Path discovery;
  /** In the executor JVM: both tasks wait here until the other has started, so they hold GPUs at once. */
  static final CountDownLatch BOTH_RUNNING = new CountDownLatch(2);

  @BeforeAll
  static void startCluster() throws Exception {
    Path bin = DiscoverGpusScriptTest.fakeNvidiaSmi(work, "0\\n1\\n");
    discovery = work.resolve("discover.sh");
    Files.writeString(discovery, "#!/bin/sh\nPATH='" + bin + "':$PATH exec bash '" + DiscoverGpusScriptTest.SCRIPT
        + "'\n");
    Files.setPosixFilePermissions(discovery, PosixFilePermissions.fromString("rwxr-xr-x"));
    cluster = StandaloneCluster.start(work, 2, "2g", Map.of("spark.worker.resource.gpu.amount", "2",
        "spark.worker.resource.gpu.discoveryScript", discovery.toString()));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static SparkRunner submit(String... conf) {
    List<String> all = new ArrayList<>(cluster.applicationConf());
    all.addAll(List.of(conf));
    return SparkRunner.start(SparkOptions.parse(cluster.masterUrl(), all), 1, "standalone-test");
  }

  @Test
  void executorsAreOtherJvmsAndMergedFidEqualsOneProcess() throws Exception {
    Path model = TestModels.oracle(work);
    Path extractor = TestModels.extractor(work);
    SamplerOptions ddim = SamplerOptions.of(8).withEta(1.0);
    Sampler sampler = Samplers.create("ddim", ddim);
    FeatureStatistics reference = DistributedFidTest.reference(extractor);
    double once = DistributedFidTest.oneProcessFid(model, extractor, sampler, reference);
    DistributedFid.Job job = new DistributedFid.Job(model.toString(), extractor.toString(),
        DistributedFid.ExtractorOptions.defaults(), "ddim", ddim, DistributedFidTest.IMAGES, DistributedFidTest.BATCH,
        DistributedFidTest.SEED, 1);
    try (SparkRunner spark = submit()) {
      assertThat(spark.isLocal()).isFalse();
      long driver = ProcessHandle.current().pid();
      List<Long> pids = spark.context().parallelize(List.of(1, 2), 2).map(x -> ProcessHandle.current().pid())
          .collect();
      assertThat(pids).as("executor processes").doesNotContain(driver);

      double distributed = FrechetDistance.compute(DistributedFid.statistics(spark.context(), job, 3), reference).fid();
      assertThat(Math.abs(distributed - once) / once).as("FID %s on the cluster vs %s in one process%n%s",
          distributed, once, cluster.logs()).isLessThanOrEqualTo(1e-9);
    }
  }

  /**
   * Kills the executor JVM (no shutdown hooks, as a crash would) during the first attempt of run {@code index},
   * once a checkpoint exists and before training ends.
   */
  record HaltAfterFirstCheckpoint(int index, long lastStep) implements SparkComparison.LogTap {
    @Override
    public void line(Comparison.RunSpec spec, int attempt, String line) {
      Path checkpoints = Path.of(spec.directory(), "train", "checkpoints");
      try {
        if (spec.index() == index && attempt == 0 && Files.isDirectory(checkpoints)
            && Checkpoint.latest(checkpoints).isPresent()
            && !Files.exists(checkpoints.resolve(Checkpoint.fileName(lastStep)))) {
          Runtime.getRuntime().halt(1);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Test
  void theQuickGridRunsInExecutorJvmsAndARunWhoseExecutorDiedResumes() throws Exception {
    // The configuration of ./diffusion compare --quick (Fashion-MNIST), with a small test extractor.
    String quick = Files.readString(Path.of("..", "cli", "src", "main", "resources", "dev", "jdiffusion", "cli",
        "compare-quick.yaml"));
    Environment env = Environment.load();
    Path out = work.resolve("quick").toAbsolutePath();
    Comparison.Options options = Comparison.Options.builder(out).extractor(TestModels.extractor(work))
        .command("StandaloneClusterTest").build();
    Path extractor = SparkComparison.prepare(env, "compare-quick.yaml", quick, options);
    Comparison comparison = Comparison.open(env, "compare-quick.yaml", quick, options);
    SparkComparison.Job job = new SparkComparison.Job(null, "compare-quick.yaml", quick, out.toString(),
        extractor.toString(), "StandaloneClusterTest", 1);
    StringWriter driverLog = new StringWriter();
    List<Comparison.RunResult> results;
    try (SparkRunner spark = submit()) {
      results = SparkComparison.run(spark, job, comparison.plan(), new PrintWriter(driverLog, true),
          new HaltAfterFirstCheckpoint(1, comparison.config().training().steps()));
    }
    assertThat(driverLog.toString()).as(cluster.logs()).contains("[2/4] cosine / uniform / seed 1:"
        + " attempt 1 failed: ExecutorLostFailure");
    assertThat(results).extracting(Comparison.RunResult::complete).containsOnly(true);
    assertThat(results).flatExtracting(Comparison.RunResult::fid).hasSize(8)
        .allSatisfy(f -> assertThat(f).isFinite().isPositive());
    // The killed run's next attempt resumed from its checkpoint (the executors' output is in the worker's dir).
    try (var files = Files.walk(work.resolve("worker-work"))) {
      assertThat(files.filter(f -> f.getFileName().toString().equals("stdout")).flatMap(f -> {
        try {
          return Files.readAllLines(f).stream();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      })).anyMatch(l -> l.startsWith("[2/4]") && l.contains("resumed from"));
    }
    Comparison.Report report = comparison.report(results, Duration.ofMinutes(1));
    assertThat(report.complete()).isEqualTo(4);
    assertThat(Files.readAllLines(out.resolve("fid.csv"))).hasSize(9);
  }

  @Test
  void concurrentTasksTrainOnTheDistinctGpusTheWorkerAssigned() {
    try (SparkRunner spark = submit("spark.executor.resource.gpu.amount=2",
        "spark.executor.resource.gpu.discoveryScript=" + discovery, "spark.task.resource.gpu.amount=1")) {
      List<String> devices = spark.context().parallelize(List.of("auto", "gpu:7"), 2).map(configured -> {
        BOTH_RUNNING.countDown();
        BOTH_RUNNING.await(60, TimeUnit.SECONDS);
        return GpuAssignment.currentTaskDevice(configured);
      }).collect();
      assertThat(devices).as(cluster.logs()).containsExactlyInAnyOrder("gpu:0", "gpu:1");
    }
  }
}
