package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.trainer.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} in a child JVM, killed with SIGKILL three times (twice half-way through writing a checkpoint,
 * once between checkpoints) and started again each time as a user would: the run continues, every
 * checkpoint on disk reads, nothing a killed write left survives the next start, and the run ends with the
 * very losses and weights of an uninterrupted run.
 *
 * <p>Tagged {@code process} (child JVMs, a minute or more): {@code ./mvnw verify} leaves it out, CI runs it.
 */
@Tag("process")
class KillAndResumeProcessTest {
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private static final int STEPS = 20;
  /** Makes every checkpoint write of a child stop half-way for this long, long enough to be killed there. */
  private static final String PAUSE = "-Djdiffusion.test.checkpointPauseMillis=3000";
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String CONFIG = """
      schedule: {name: cosine, timesteps: 100}
      parameterization: {name: eps}
      weighter: {name: min-snr}
      dataset: {name: synthetic, count: 16, size: 8}
      model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: [4]}
      training: {steps: %d, batchSize: 4, lr: 1.0e-3, warmupSteps: 0, checkpointEvery: 4, keepCheckpoints: 10,
                 logEvery: 1, emaDecay: 0.9}
      """.formatted(STEPS);

  @Test
  void killedAgainAndAgainItEndsWithTheLossesAndWeightsOfAnUninterruptedRun(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("tiny.yaml");
    Files.writeString(config, CONFIG);
    Path run = dir.resolve("run");
    Path checkpoints = run.resolve("checkpoints");
    // the uninterrupted run, alongside
    ChildJvm reference = ChildJvm.start(dir, "reference", List.of(), "train", config.toString(), "--out",
        dir.resolve("reference").toString());

    // 1. killed while writing its first checkpoint: a partial temporary file, no checkpoint
    ChildJvm first = ChildJvm.start(dir, "first", List.of(PAUSE), "train", config.toString(), "--out", run.toString());
    first.awaitWhileAlive("checkpoint write", TIMEOUT, () -> !temporaryFiles(checkpoints).isEmpty());
    first.kill();
    List<Path> leftByFirst = temporaryFiles(checkpoints);
    assertThat(leftByFirst).hasSize(1);
    assertThat(leftByFirst.get(0).getFileName().toString()).startsWith(".step-00000004.ckpt." + first.pid() + ".");
    assertThat(Checkpoint.list(checkpoints)).isEmpty();

    // 2. started again without --resume (there is no checkpoint, the config is the same): the leftover goes;
    //    killed half-way through the checkpoint of step 8
    ChildJvm second = ChildJvm.start(dir, "second", List.of(PAUSE), "train", config.toString(), "--out", run.toString());
    second.awaitWhileAlive("the checkpoint of step 4 and the write of step 8", TIMEOUT,
        () -> Files.exists(checkpoints.resolve("step-00000004.ckpt"))
            && temporaryFiles(checkpoints).stream().anyMatch(p -> p.getFileName().toString().startsWith(".step-00000008")));
    second.kill();
    assertThat(leftByFirst.get(0)).doesNotExist();
    assertThat(second.out()).contains("starting the run in " + run + " again: it has no checkpoint yet")
        .contains("removed " + leftByFirst.get(0) + ", left by a write that was killed");
    assertThat(temporaryFiles(checkpoints)).singleElement()
        .satisfies(p -> assertThat(p.getFileName().toString()).startsWith(".step-00000008.ckpt." + second.pid() + "."));

    // 3. resumed, then killed between checkpoints (after the metrics of step 14, before the checkpoint of 16)
    ChildJvm third = ChildJvm.start(dir, "third", List.of(), "train", config.toString(), "--out", run.toString(),
        "--resume");
    third.awaitWhileAlive("step 14", TIMEOUT, () -> metricSteps(run.resolve("metrics.jsonl")).contains(14L));
    third.kill();
    assertThat(third.out()).contains("resumed from " + checkpoints.resolve("step-00000004.ckpt") + " (step 4)");
    assertThat(temporaryFiles(checkpoints)).isEmpty();

    // 4. resumed to the end
    ChildJvm last = ChildJvm.start(dir, "last", List.of(), "train", config.toString(), "--out", run.toString(), "--resume");
    assertThat(last.waitFor(TIMEOUT)).as("exit status; stderr: %s", last.err()).isZero();
    assertThat(reference.waitFor(TIMEOUT)).as("reference exit status; stderr: %s", reference.err()).isZero();
    assertThat(last.out()).containsPattern("resumed from .*step-000000(08|12)\\.ckpt");
    assertThat(last.errorLines()).isEmpty();

    assertThat(temporaryFiles(run)).isEmpty();
    assertThat(temporaryFiles(checkpoints)).isEmpty();
    List<Path> kept = Checkpoint.list(checkpoints);
    assertThat(kept).extracting(p -> p.getFileName().toString())
        .containsExactly("step-00000004.ckpt", "step-00000008.ckpt", "step-00000012.ckpt", "step-00000016.ckpt",
            "step-00000020.ckpt");
    try (NDManager m = NDManager.newBaseManager()) {
      for (Path p : kept) {
        assertThat(Checkpoint.read(p, m).step()).isEqualTo(Checkpoint.stepOf(p));
      }
      Checkpoint.Contents mine = Checkpoint.read(checkpoints.resolve("step-00000020.ckpt"), m);
      Checkpoint.Contents theirs = Checkpoint.read(dir.resolve("reference/checkpoints/step-00000020.ckpt"), m);
      for (int i = 0; i < mine.weights().size(); i++) {
        assertThat(mine.weights().get(i).toFloatArray()).containsExactly(theirs.weights().get(i).toFloatArray());
        assertThat(mine.ema().get(i).toFloatArray()).containsExactly(theirs.ema().get(i).toFloatArray());
      }
    }
    List<JsonNode> resumed = metrics(run.resolve("metrics.jsonl"));
    List<JsonNode> uninterrupted = metrics(dir.resolve("reference/metrics.jsonl"));
    assertThat(resumed).extracting(n -> n.path("step").asLong())
        .containsExactlyElementsOf(Stream.iterate(1L, s -> s + 1).limit(STEPS).toList());
    assertThat(resumed).extracting(n -> n.path("loss").asDouble())
        .containsExactlyElementsOf(uninterrupted.stream().map(n -> n.path("loss").asDouble()).toList());
  }

  /** The files in {@code dir} that AtomicFiles names as temporary, i.e. what an interrupted write leaves. */
  static List<Path> temporaryFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(AtomicFiles::isTemporary).toList();
    } catch (IOException e) {
      return List.of(); // the directory changed while listed: poll again
    }
  }

  static List<Long> metricSteps(Path metrics) {
    List<Long> steps = new ArrayList<>();
    try {
      for (JsonNode n : metrics(metrics)) {
        steps.add(n.path("step").asLong());
      }
    } catch (IOException e) {
      // not there yet
    }
    return steps;
  }

  static List<JsonNode> metrics(Path file) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    if (!Files.exists(file)) {
      return lines;
    }
    for (String line : Files.readAllLines(file)) {
      try {
        lines.add(JSON.readTree(line));
      } catch (IOException e) {
        // a line being written
      }
    }
    return lines;
  }
}
