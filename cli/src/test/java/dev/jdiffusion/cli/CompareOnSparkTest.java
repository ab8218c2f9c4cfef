package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.cli.WeightsCommandTest.Run;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compare --engine spark} from the command line: the same files as the local engine, and one line for
 * every mistake in the Spark options. (The faults, and a standalone cluster of separate JVMs, are tested in
 * the spark module.)
 */
class CompareOnSparkTest {
  static Run compare(Path config, Path out, Path extractor, String... more) {
    List<String> args = new ArrayList<>(List.of("compare", config.toString(), "--out", out.toString(),
        "--extractor", extractor.toString()));
    args.addAll(List.of(more));
    return WeightsCommandTest.run(args.toArray(String[]::new));
  }

  /** Every CSV the report writes, by name. */
  static List<String> csvFiles(Path out) throws IOException {
    try (Stream<Path> files = Files.list(out)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".csv")).sorted().toList();
    }
  }

  /**
   * Issue 17's equality, on a grid small enough for every build: {@code --engine spark --master local[2]
   * --threads-per-run 1} runs two tasks in one JVM (whose runs train one at a time), the local engine trains
   * the runs one after the other; the
   * comparison's CSVs (fid.csv above all) and every run's scores are the same text.
   */
  @Test
  void sparkLocal2WritesTheSameFidCsvAsTheLocalEngine(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("cmp.yaml");
    Files.writeString(config, CompareCommandTest.CONFIG);
    Path fx = CompareCommandTest.extractor(dir);
    Path local = dir.resolve("local");
    Path spark = dir.resolve("spark");

    Run l = compare(config, local, fx, "--threads-per-run", "1");
    assertThat(l.exit()).as(l.err()).isZero();
    Run s = compare(config, spark, fx, "--engine", "spark", "--master", "local[2]", "--threads-per-run", "1");
    assertThat(s.exit()).as(s.err()).isZero();
    assertThat(s.out()).contains("Spark local[2]: 4 run(s) as tasks, 1 thread(s) each")
        .contains("(4 of 4 runs complete)");

    assertThat(Files.readAllLines(spark.resolve("fid.csv"))).hasSize(1 + 4 * 2);
    assertThat(spark.resolve("fid.csv")).hasSameTextualContentAs(local.resolve("fid.csv"));
    assertThat(csvFiles(spark)).isEqualTo(csvFiles(local)).contains("fid.csv", "gaps.csv", "null.csv");
    for (String csv : csvFiles(local)) {
      assertThat(spark.resolve(csv)).as(csv).hasSameTextualContentAs(local.resolve(csv));
    }
    for (String run : List.of("uniform/seed-0", "uniform/seed-1", "smoothed-kl-lambda-0.2/seed-0",
        "smoothed-kl-lambda-0.2/seed-1")) {
      Path want = local.resolve("runs/cosine-timesteps-50").resolve(run);
      Path got = spark.resolve("runs/cosine-timesteps-50").resolve(run);
      assertThat(got.resolve("train/checkpoints/step-00000004.ckpt")).as(run)
          .hasSameBinaryContentAs(want.resolve("train/checkpoints/step-00000004.ckpt"));
    }
    assertThat(spark.resolve("report.md")).isNotEmptyFile();
    assertThat(spark.resolve("fid-cosine-timesteps-50.png")).isNotEmptyFile();

    // Resume and --report-only behave as with the local engine: nothing is trained again.
    Run again = compare(config, spark, fx, "--engine", "spark", "--master", "local[2]", "--threads-per-run", "1");
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).doesNotContain(": training").contains("(4 of 4 runs complete)");
    assertThat(spark.resolve("fid.csv")).hasSameTextualContentAs(local.resolve("fid.csv"));
    Run reportOnly = compare(config, spark, fx, "--engine", "spark", "--report-only");
    assertThat(reportOnly.exit()).as(reportOnly.err()).isZero();
    assertThat(reportOnly.out()).doesNotContain("Spark ").contains("(4 of 4 runs complete)");
  }

  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void mistakesInTheSparkOptionsAreOneLineAndWriteNothing(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("cmp.yaml");
    Files.writeString(config, CompareCommandTest.CONFIG);
    Path fx = CompareCommandTest.extractor(dir);
    Path out = dir.resolve("never");
    int port = closedPort();
    String[][] cases = {
        {"--engine", "hadoop"},
        {"--master", "local[2]"},
        {"--conf", "spark.executor.memory=4g"},
        {"--engine", "spark", "--master", "lokal[2]"},
        {"--engine", "spark", "--conf", "spark.executor.memory"},
        {"--engine", "spark", "--conf", "spark.speculation=true"},
        {"--engine", "spark", "--threads-per-run", "0"},
        {"--engine", "spark", "--master", "spark://127.0.0.1:" + port},
    };
    String[] expected = {
        "error: --engine hadoop: expected local or spark",
        "error: --master applies to --engine spark only",
        "error: --conf applies to --engine spark only",
        "error: --master lokal[2]",
        "error: --conf spark.executor.memory",
        "error: --conf spark.speculation=true",
        "error: --threads-per-run 0: expected at least 1",
        "error: --master spark://127.0.0.1:" + port + ": no Spark master is reachable",
    };
    for (int i = 0; i < cases.length; i++) {
      Run r = compare(config, out, fx, cases[i]);
      assertThat(r.exit()).as("%s: %s", List.of(cases[i]), r.err()).isEqualTo(2);
      assertThat(r.err()).as(List.of(cases[i]).toString()).startsWith(expected[i]);
      assertThat(r.err().strip().lines()).as(List.of(cases[i]) + ": one line").hasSize(1);
      assertThat(r.err()).doesNotContain("\tat ");
    }
    assertThat(out).as("a refused command writes nothing").doesNotExist();
  }
}
