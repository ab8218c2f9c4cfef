package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.cli.WeightsCommandTest.Run;
import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.trainer.Checkpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk, real: a 2 MB tmpfs mounted for the test (as root; where mounting is not permitted the tests
 * are skipped and say why). {@code train}, {@code export} and {@code sample} each stop with exit status 2
 * and one line naming the file that could not be written, leave no temporary file behind, and what was
 * written before (an earlier checkpoint, a model) still reads.
 */
class DiskFullTest {
  @TempDir static Path fixtures;
  private static Path config;
  private static Path run;
  private static Path model;
  private static Path disk;
  private static String skipped;

  @BeforeAll
  static void mountAndPrepare() throws Exception {
    disk = fixtures.resolve("disk");
    Files.createDirectories(disk);
    skipped = mount(disk);
    if (skipped != null) {
      System.out.println("DiskFullTest skipped: " + skipped);
      return;
    }
    config = fixtures.resolve("tiny.yaml");
    Files.writeString(config, BadInputCorpusTest.OK);
    run = fixtures.resolve("run");
    Run train = WeightsCommandTest.run("train", config.toString(), "--out", run.toString());
    assertThat(train.exit()).as(train.err()).isZero();
    model = fixtures.resolve("model.onnx");
    Run export = WeightsCommandTest.run("export", run.toString(), "--out", model.toString());
    assertThat(export.exit()).as(export.err()).isZero();
  }

  /** Mounts a 2 MB tmpfs on {@code dir}; returns why not, or null when mounted. */
  private static String mount(Path dir) throws InterruptedException {
    try {
      Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir.toString())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "mount did not finish within 30 s";
      }
      return p.exitValue() == 0 ? null : "cannot mount a tmpfs here (mount -t tmpfs: exit " + p.exitValue()
          + (out.isEmpty() ? "" : ", " + out) + "); run as root where mounting is permitted to simulate a full disk";
    } catch (IOException e) {
      return "cannot run mount (" + e.getMessage() + ")";
    }
  }

  @AfterAll
  static void unmount() throws Exception {
    if (skipped == null) {
      new ProcessBuilder("umount", disk.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void mounted() throws IOException {
    Assumptions.assumeTrue(skipped == null, () -> "skipped: " + skipped);
    try (Stream<Path> files = Files.list(disk)) {
      for (Path p : files.toList()) {
        deleteTree(p);
      }
    }
  }

  @Test
  void trainOnAFullDiskNamesTheFileItCouldNotWrite() throws Exception {
    fill(0);
    Path out = disk.resolve("run");
    Run r = WeightsCommandTest.run("train", config.toString(), "--out", out.toString());
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(oneLine(r)).matches("error: " + quote(out) + "/\\S+: .*No space left on device.*");
    assertThat(temporaryFiles()).isEmpty();
  }

  @Test
  void trainThatFillsTheDiskAtACheckpointKeepsTheEarlierOnesAndResumesOnceThereIsRoom() throws Exception {
    Path out = disk.resolve("run");
    long checkpointBytes = Files.size(run.resolve("checkpoints/step-00000001.ckpt"));
    // room for config.json, the metrics and one checkpoint, not for two
    Path filler = fill(checkpointBytes + checkpointBytes / 2);
    Run r = WeightsCommandTest.run("train", config.toString(), "--out", out.toString(), "--steps", "2");
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(oneLine(r)).matches("error: " + quote(out.resolve("checkpoints")) + "/\\S*step-00000002\\.ckpt\\S*: .*"
        + "No space left on device.*");
    assertThat(temporaryFiles()).isEmpty();
    assertThat(Checkpoint.list(out.resolve("checkpoints"))).extracting(p -> p.getFileName().toString())
        .containsExactly("step-00000001.ckpt");

    Files.delete(filler);
    Run resumed = WeightsCommandTest.run("train", config.toString(), "--out", out.toString(), "--steps", "2",
        "--resume");
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resumed from " + out.resolve("checkpoints/step-00000001.ckpt"));
    assertThat(KillAndResumeProcessTest.metricSteps(out.resolve("metrics.jsonl"))).containsExactly(1L, 2L);
  }

  @Test
  void exportOnAFullDiskNamesTheModelFile() throws Exception {
    fill(0);
    Path out = disk.resolve("model.onnx");
    Run r = WeightsCommandTest.run("export", run.toString(), "--out", out.toString());
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(oneLine(r)).startsWith("error: " + out + ": ").contains("No space left on device");
    assertThat(out).doesNotExist();
    assertThat(temporaryFiles()).isEmpty();
  }

  @Test
  void sampleOnAFullDiskNamesTheSamplesFile() throws Exception {
    fill(0);
    Path out = disk.resolve("samples");
    Run r = WeightsCommandTest.run("sample", model.toString(), "--n", "2", "--steps", "2", "--out", out.toString());
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(oneLine(r)).startsWith("error: " + out.resolve("samples.npy") + ": ").contains("No space left on device");
    assertThat(out.resolve("samples.npy")).doesNotExist();
    assertThat(temporaryFiles()).isEmpty();
  }

  /** The one line on stderr (libtorch's native warnings aside); fails when there are more. */
  private static String oneLine(Run r) {
    List<String> lines = r.err().lines().filter(l -> !l.isBlank() && !l.matches("\\[W\\d{4} .*")).toList();
    assertThat(lines).as("stderr").hasSize(1);
    return lines.get(0);
  }

  /** Writes a file until the disk is full, then shrinks it to leave {@code free} bytes; returns it. */
  private static Path fill(long free) throws IOException {
    Path filler = disk.resolve("filler");
    byte[] chunk = new byte[4096];
    long written = 0;
    try (OutputStream o = Files.newOutputStream(filler)) {
      while (true) {
        o.write(chunk);
        written += chunk.length;
      }
    } catch (IOException full) {
      // the disk is full
    }
    if (free > 0) {
      try (var ch = java.nio.channels.FileChannel.open(filler, java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(Math.max(0, Files.size(filler) - free));
      }
    }
    assertThat(written).as("bytes written before the disk was full").isPositive();
    return filler;
  }

  private static List<Path> temporaryFiles() throws IOException {
    try (Stream<Path> all = Files.walk(disk)) {
      return all.filter(AtomicFiles::isTemporary).toList();
    }
  }

  private static String quote(Path p) {
    return java.util.regex.Pattern.quote(p.toString());
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p)) {
      try (Stream<Path> children = Files.list(p)) {
        for (Path c : children.toList()) {
          deleteTree(c);
        }
      }
    }
    Files.delete(p);
  }
}
