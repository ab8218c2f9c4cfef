package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.jdiffusion.spi.dataset.DatasetSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run directory has one owner and one history: another run is refused, a resumed run keeps its
 * configuration, corrupt checkpoints and killed writes are dealt with, and a refused command writes nothing.
 */
class RunDirectoryTest {
  private static final DatasetSource DATA = Fixtures.squares(10);
  private static final PrintWriter QUIET = new PrintWriter(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

  /** A 4-step run with checkpoints at 2 and 4, made once and copied into each test that needs one. */
  @TempDir static Path shared;
  private static Path fourSteps;
  private static List<Double> fourStepLosses;

  @BeforeAll
  static void trainOnce() throws Exception {
    fourSteps = shared.resolve("four");
    fourStepLosses = run(config(4, 2, 1e-3, "min-snr"), fourSteps, TrainingRun.Mode.NEW, QUIET).losses();
  }

  static TrainConfig config(int steps, int every, double lr, String weighter) {
    return new TrainConfig(Fixtures.schedule("cosine"), Fixtures.parameterization("eps"),
        Fixtures.weighter(weighter), Optional.empty(),
        new TrainConfig.Model(null, 8, List.of(1, 2), 1, List.of(4), 0.0),
        Fixtures.training(steps, 4, lr, every));
  }

  static TrainingRun.Summary run(TrainConfig c, Path out, TrainingRun.Mode mode, PrintWriter log) throws Exception {
    return TrainingRun.run(c, Fixtures.plugins(), Fixtures.reader(), DATA,
        new TrainingRun.Options(out, mode, log, false));
  }

  private static Path copyOfFourSteps(Path dir) throws Exception {
    Path copy = dir.resolve("run");
    Files.createDirectories(copy.resolve("checkpoints"));
    try (var files = Files.walk(fourSteps)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(p)) {
          Files.copy(p, copy.resolve(fourSteps.relativize(p).toString()));
        }
      }
    }
    return copy;
  }

  @Test
  void aNewRunIntoADirectoryHoldingAnotherIsRefusedAndChangesNothing(@TempDir Path dir) throws Exception {
    Path out = copyOfFourSteps(dir);
    DirectorySnapshot before = DirectorySnapshot.of(out);
    assertThatThrownBy(() -> run(config(2, 1, 2e-3, "uniform"), out, TrainingRun.Mode.NEW, QUIET))
        .isInstanceOf(RunDirectoryException.class)
        .hasMessage(out + " already holds another run (its config.json differs in training.lr, weighter.gamma,"
            + " weighter.name; 2 checkpoints, up to step 4): choose another --out, or start over with --overwrite"
            + " (which deletes it)");
    assertThatThrownBy(() -> run(config(4, 2, 1e-3, "min-snr"), out, TrainingRun.Mode.NEW, QUIET))
        .hasMessage(out + " already holds this run (2 checkpoints, up to step 4): continue it with --resume,"
            + " choose another --out, or start over with --overwrite (which deletes it)");
    assertThat(DirectorySnapshot.of(out)).isEqualTo(before);
  }

  @Test
  void resumeRefusesAnyChangeButStepsAndIntervalsAndNamesTheFields(@TempDir Path dir) throws Exception {
    Path out = copyOfFourSteps(dir);
    DirectorySnapshot before = DirectorySnapshot.of(out);
    assertThatThrownBy(() -> run(config(6, 2, 2e-3, "uniform"), out, TrainingRun.Mode.RESUME, QUIET))
        .isInstanceOf(RunDirectoryException.class)
        .hasMessage("--resume: the configuration differs from the run in " + out + " (step-00000004.ckpt) in"
            + " training.lr (0.001 -> 0.002), weighter.gamma (5.0 -> unset), weighter.name (min-snr -> uniform);"
            + " a resumed run keeps its"
            + " objective, optimizer, data and network (only training.steps, checkpointEvery, keepCheckpoints,"
            + " logEvery and device may change)");
    TrainConfig wider = new TrainConfig(Fixtures.schedule("cosine"), Fixtures.parameterization("v"),
        Fixtures.weighter("min-snr"), Optional.empty(),
        new TrainConfig.Model(null, 8, List.of(1, 2), 2, List.of(4), 0.0), Fixtures.training(6, 4, 1e-3, 2));
    assertThatThrownBy(() -> run(wider, out, TrainingRun.Mode.RESUME, QUIET))
        .hasMessageContaining("in parameterization.name (eps -> v), model.resBlocks (1 -> 2);");
    assertThat(DirectorySnapshot.of(out)).isEqualTo(before);

    // more steps, other checkpoint and log intervals: the same run, continued exactly
    TrainingRun.Summary whole = run(config(6, 3, 1e-3, "min-snr"), dir.resolve("whole"), TrainingRun.Mode.NEW, QUIET);
    TrainConfig longer = config(6, 3, 1e-3, "min-snr");
    TrainingRun.Summary resumed = run(longer, out, TrainingRun.Mode.RESUME, QUIET);
    assertThat(resumed.firstStep()).isEqualTo(4);
    assertThat(resumed.losses()).containsExactlyElementsOf(whole.losses().subList(4, 6));
    assertThat(fourStepLosses).containsExactlyElementsOf(whole.losses().subList(0, 4));
  }

  @Test
  void aCorruptNewestCheckpointIsSetAsideAndTheRunResumesFromTheNewestIntactOne(@TempDir Path dir) throws Exception {
    Path out = copyOfFourSteps(dir);
    Path newest = out.resolve("checkpoints/step-00000004.ckpt");
    try (RandomAccessFile f = new RandomAccessFile(newest.toFile(), "rw")) {
      f.seek(f.length() / 2); // inside a weight list: only the entry's CRC-32 can tell
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x10);
    }
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> Checkpoint.read(newest, m))
          .hasMessageMatching(java.util.regex.Pattern.quote(newest.toString())
              + ": entry [a-z.]+: invalid entry CRC \\(expected 0x[0-9a-f]+ but got 0x[0-9a-f]+\\)");
      Checkpoint.Scan scan = Checkpoint.newestIntact(out.resolve("checkpoints"), m);
      assertThat(scan.newest().orElseThrow().file().getFileName().toString()).isEqualTo("step-00000002.ckpt");
      assertThat(scan.corrupt()).extracting(Checkpoint.Corrupt::file).containsExactly(newest);
    }
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    TrainingRun.Summary resumed = run(config(4, 2, 1e-3, "min-snr"), out, TrainingRun.Mode.RESUME,
        new PrintWriter(log, true, StandardCharsets.UTF_8));
    assertThat(log.toString(StandardCharsets.UTF_8))
        .containsPattern("warning: " + java.util.regex.Pattern.quote(newest.toString())
            + " is corrupt \\(entry [a-z.]+: invalid entry CRC")
        .contains("moved to step-00000004.ckpt.corrupt, resuming from step-00000002.ckpt");
    assertThat(resumed.firstStep()).isEqualTo(2);
    assertThat(resumed.losses()).containsExactlyElementsOf(fourStepLosses.subList(2, 4));
    assertThat(out.resolve("checkpoints/step-00000004.ckpt.corrupt")).exists();
    try (NDManager m = NDManager.newBaseManager()) {
      assertThat(Checkpoint.read(newest, m).step()).isEqualTo(4);
    }
    assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(4);
  }

  @Test
  void whenNoCheckpointReadsResumeSaysWhyForEach(@TempDir Path dir) throws Exception {
    Path out = copyOfFourSteps(dir);
    Files.write(out.resolve("checkpoints/step-00000004.ckpt"), new byte[4096]);
    Files.write(out.resolve("checkpoints/step-00000002.ckpt"), new byte[0]);
    DirectorySnapshot before = DirectorySnapshot.of(out);
    assertThatThrownBy(() -> run(config(4, 2, 1e-3, "min-snr"), out, TrainingRun.Mode.RESUME, QUIET))
        .hasMessage("--resume: no checkpoint in " + out.resolve("checkpoints") + " reads: step-00000004.ckpt"
            + " (not a checkpoint (no ZIP entries; the file is empty, zeroed or of another kind)); step-00000002.ckpt"
            + " (not a checkpoint (no ZIP entries; the file is empty, zeroed or of another kind))");
    assertThat(DirectorySnapshot.of(out)).isEqualTo(before);
  }

  @Test
  void overwriteRemovesTheOldRunFirst(@TempDir Path dir) throws Exception {
    Path out = copyOfFourSteps(dir);
    Files.writeString(out.resolve("notes.txt"), "mine");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    TrainingRun.Summary s = run(config(1, 1, 2e-3, "uniform"), out, TrainingRun.Mode.OVERWRITE,
        new PrintWriter(log, true, StandardCharsets.UTF_8));
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("removed the run in " + out + " (2 checkpoints, up to step 4)");
    assertThat(Checkpoint.list(out.resolve("checkpoints"))).extracting(p -> p.getFileName().toString())
        .containsExactly("step-00000001.ckpt");
    assertThat(s.lastCheckpoint()).exists();
    assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(1);
    assertThat(Files.readString(out.resolve("config.json"))).contains("\"uniform\"");
    assertThat(out.resolve("notes.txt")).hasContent("mine");
  }

  @Test
  void aRunKilledBeforeItsFirstCheckpointStartsAgainButAnotherIsRefused(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("run");
    Files.createDirectories(out);
    Files.writeString(out.resolve("config.json"), Fixtures.reader().json().writeValueAsString(config(2, 2, 1e-3, "min-snr")));
    Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"lo");
    assertThatThrownBy(() -> run(config(2, 2, 1e-3, "uniform"), out, TrainingRun.Mode.NEW, QUIET))
        .hasMessage(out + " already holds another run (its config.json differs in weighter.gamma, weighter.name;"
            + " no checkpoint yet): choose another --out, or start over with --overwrite (which deletes it)");
    TrainingRun.Summary s = run(config(2, 2, 1e-3, "min-snr"), out, TrainingRun.Mode.NEW, QUIET);
    assertThat(s.losses()).containsExactlyElementsOf(fourStepLosses.subList(0, 2));
    assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(2);
  }

  @Test
  void aDirectoryLockedByAnotherRunIsRefused(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("run");
    try (RunDirectory held = RunDirectory.lock(out)) {
      held.claim();
      assertThatThrownBy(() -> run(config(2, 2, 1e-3, "min-snr"), out, TrainingRun.Mode.NEW, QUIET))
          .isInstanceOf(RunDirectoryException.Locked.class)
          .hasMessage(out + " is in use by another training process (pid " + ProcessHandle.current().pid()
              + "): wait for it to finish, or choose another --out");
    }
    assertThat(out.resolve("config.json")).doesNotExist();
  }

  @Test
  void temporaryFilesOfKilledWritesAreRemovedAndACutMetricsLineIsDropped(@TempDir Path dir) throws Exception {
    Path out = copyOfFourSteps(dir);
    Path ckptTmp = out.resolve("checkpoints/.step-00000006.ckpt.4242.k3j.tmp");
    Path legacy = out.resolve("checkpoints/.step-00000006.ckpt.123456789.tmp");
    Path metricsTmp = out.resolve(".metrics.jsonl.4242.x1.tmp");
    for (Path p : List.of(ckptTmp, legacy, metricsTmp)) {
      Files.writeString(p, "partial");
    }
    Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":5,\"loss\":0.1}\n{\"step\":6,\"lo", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    run(config(4, 2, 1e-3, "min-snr"), out, TrainingRun.Mode.RESUME, new PrintWriter(log, true, StandardCharsets.UTF_8));
    for (Path p : List.of(ckptTmp, legacy, metricsTmp)) {
      assertThat(p).doesNotExist();
      assertThat(log.toString(StandardCharsets.UTF_8)).contains("removed " + p + ", left by a write that was killed");
    }
    assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(4)
        .allSatisfy(line -> assertThat(line).startsWith("{\"step\":"));
  }

  @Test
  void weightsThatAreNotFiniteAreNeverCheckpointed(@TempDir Path dir) throws Exception {
    // lr 1e39 is finite as a double but overflows float32: the first update makes the weights infinite,
    // while the loss of that step (computed before it) is finite
    TrainConfig c = new TrainConfig(Fixtures.schedule("cosine"), Fixtures.parameterization("eps"),
        Fixtures.weighter("min-snr"), Optional.empty(),
        new TrainConfig.Model(null, 8, List.of(1, 2), 1, List.of(4), 0.0),
        new TrainConfig.Training(3, 4, 1e39, 0, null, null, null, null, 0.0, 0.99, true, 1, 2, 7L, 1, "cpu"));
    assertThatThrownBy(() -> run(c, dir.resolve("run"), TrainingRun.Mode.NEW, QUIET))
        .isInstanceOf(TrainingStoppedException.class)
        .hasMessageStartingWith("step 1: the weights hold NaN or infinite values (first in ")
        .hasMessageEndingWith("); no checkpoint was written for this step; no checkpoint had been written yet");
    assertThat(dir.resolve("run/checkpoints")).doesNotExist();
  }

  /**
   * lr 1e30 without clipping: the first update leaves finite but huge weights, which give a non-finite loss
   * or gradient at step 2. The checkpoint of step 1 holds exactly those weights, so it is not called good.
   */
  @Test
  void aCheckpointWhoseWeightsGaveTheNonFiniteStepIsNotCalledGood(@TempDir Path dir) throws Exception {
    TrainConfig c = new TrainConfig(Fixtures.schedule("cosine"), Fixtures.parameterization("eps"),
        Fixtures.weighter("min-snr"), Optional.empty(),
        new TrainConfig.Model(null, 8, List.of(1, 2), 1, List.of(4), 0.0),
        new TrainConfig.Training(5, 4, 1e30, 0, null, null, null, null, 0.0, 0.99, true, 1, 3, 7L, 1, "cpu"));
    Path out = dir.resolve("run");
    assertThatThrownBy(() -> run(c, out, TrainingRun.Mode.NEW, QUIET))
        .isInstanceOf(TrainingStoppedException.class)
        .hasMessageStartingWith("step 2: the ")
        .hasMessageEndingWith("; the newest checkpoint, " + out.resolve("checkpoints/step-00000001.ckpt")
            + ", holds the weights this step started from; no older checkpoint is kept");
  }

  @Test
  void theDifferencesIgnoreOnlyTheFieldsThatExtendARun() throws Exception {
    var json = Fixtures.reader().json();
    com.fasterxml.jackson.databind.JsonNode a = json.valueToTree(config(4, 2, 1e-3, "min-snr"));
    com.fasterxml.jackson.databind.JsonNode b = json.valueToTree(new TrainConfig(Fixtures.schedule("cosine"), Fixtures.parameterization("eps"),
        Fixtures.weighter("min-snr"), Optional.empty(),
        new TrainConfig.Model(null, 8, List.of(1, 2), 1, List.of(4), 0.0),
        new TrainConfig.Training(40, 4, 1e-3, 0, null, null, null, null, 1.0, 0.99, true, 7, 9, 7L, 5, "auto")));
    assertThat(RunDirectory.differences(a,
        b)).isEmpty();
    com.fasterxml.jackson.databind.JsonNode c = json.valueToTree(new TrainConfig(Fixtures.schedule("linear"), Fixtures.parameterization("eps"),
        Fixtures.weighter("min-snr"), Optional.empty(),
        new TrainConfig.Model(null, 8, List.of(1, 2), 1, List.of(4), 0.0),
        new TrainConfig.Training(4, 8, 1e-3, 0, null, null, null, null, 1.0, 0.999, true, 2, 2, 8L, 1, "cpu")));
    assertThat(RunDirectory.differences(a,
        c))
        .anySatisfy(d -> assertThat(d).startsWith("schedule."))
        .contains("training.batchSize (4 -> 8)", "training.emaDecay (0.99 -> 0.999)", "training.seed (7 -> 8)");
  }
}
