package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdiffusion.trainer.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes on one run directory: while one trains there, another {@code train} into it is refused
 * in one line naming the holder, and writes nothing (every metrics line is there once); once the first is
 * killed, the operating system has released its lock and the run can be resumed.
 *
 * <p>Tagged {@code process} (child JVMs, a minute or more): {@code ./mvnw verify} leaves it out, CI runs it.
 */
@Tag("process")
class TwoProcessesProcessTest {
  private static final Duration TIMEOUT = Duration.ofMinutes(4);

  @Test
  void aSecondProcessIsRefusedWhileTheFirstTrainsAndTheLockDiesWithTheFirst(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("tiny.yaml");
    Files.writeString(config, KillAndResumeProcessTest.CONFIG.replace("steps: 20,", "steps: 100000,")
        .replace("checkpointEvery: 4", "checkpointEvery: 2"));
    Path run = dir.resolve("run");
    ChildJvm first = ChildJvm.start(dir, "first", List.of(), "train", config.toString(), "--out", run.toString());
    first.awaitWhileAlive("the lock and a checkpoint", TIMEOUT,
        () -> holder(run).equals(Long.toString(first.pid())) && Files.exists(run.resolve("checkpoints/step-00000002.ckpt")));

    ChildJvm second = ChildJvm.start(dir, "second", List.of(), "train", config.toString(), "--out", run.toString(),
        "--resume");
    assertThat(second.waitFor(TIMEOUT)).isEqualTo(2);
    assertThat(second.errorLines()).containsExactly("error: " + run + " is in use by another training process (pid "
        + first.pid() + "): wait for it to finish, or choose another --out");
    assertThat(second.out()).isEmpty();
    assertThat(first.alive()).isTrue();
    first.kill();

    List<Long> steps = KillAndResumeProcessTest.metricSteps(run.resolve("metrics.jsonl"));
    assertThat(steps).isNotEmpty().doesNotHaveDuplicates().isSorted();
    assertThat(steps.get(0)).isEqualTo(1);
    assertThat(steps.get(steps.size() - 1)).isEqualTo(steps.size());

    // the kill released the lock: the run continues, two steps past its newest checkpoint
    long newest = Checkpoint.stepOf(Checkpoint.latest(run.resolve("checkpoints")).orElseThrow());
    ChildJvm third = ChildJvm.start(dir, "third", List.of(), "train", config.toString(), "--out", run.toString(),
        "--resume", "--steps", Long.toString(newest + 2));
    assertThat(third.waitFor(TIMEOUT)).as(third.err()).isZero();
    assertThat(third.out()).contains("resumed from " + run.resolve("checkpoints").resolve(Checkpoint.fileName(newest)));
    List<JsonNode> lines = KillAndResumeProcessTest.metrics(run.resolve("metrics.jsonl"));
    assertThat(lines).extracting(n -> n.path("step").asLong())
        .containsExactlyElementsOf(Stream.iterate(1L, s -> s + 1).limit(newest + 2).toList());
    assertThat(holder(run)).isEqualTo(Long.toString(third.pid()));
  }

  /** The pid written in the run directory's lock file, or "" before there is one. */
  private static String holder(Path run) {
    try {
      return Files.readString(run.resolve("lock"), StandardCharsets.US_ASCII).strip();
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
