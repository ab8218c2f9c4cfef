package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunTest {

  static TrainConfig config(int steps, int checkpointEvery) {
    return new TrainConfig(Fixtures.schedule("cosine"), Fixtures.parameterization("eps"),
        Fixtures.weighter("min-snr"), Optional.empty(),
        new TrainConfig.Model(null, 8, List.of(1, 2), 1, List.of(4), 0.0),
        Fixtures.training(steps, 4, 1e-3, checkpointEvery));
  }

  static TrainingRun.Summary run(TrainConfig c, DatasetSource data, Path out, boolean resume, PrintWriter log)
      throws Exception {
    return TrainingRun.run(c, Fixtures.plugins(), Fixtures.reader(), data,
        new TrainingRun.Options(out, resume, log, false));
  }

  @Test
  void resumeReproducesTheLossesOfAnUninterruptedRun(@TempDir Path dir) throws Exception {
    PrintWriter quiet = new PrintWriter(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    DatasetSource data = Fixtures.squares(10);
    TrainingRun.Summary whole = run(config(6, 3), data, dir.resolve("whole"), false, quiet);
    assertThat(whole.losses()).hasSize(6);

    TrainingRun.Summary first = run(config(3, 3), data, dir.resolve("split"), false, quiet);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    TrainingRun.Summary second = run(config(6, 3), data, dir.resolve("split"), true,
        new PrintWriter(log, true, StandardCharsets.UTF_8));

    assertThat(first.losses()).containsExactlyElementsOf(whole.losses().subList(0, 3));
    assertThat(second.firstStep()).isEqualTo(3);
    assertThat(second.losses()).containsExactlyElementsOf(whole.losses().subList(3, 6));
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("resumed from").contains("step-00000003.ckpt");
    assertThat(Files.readAllLines(dir.resolve("split/metrics.jsonl"))).hasSize(6);
    assertThat(Files.readString(dir.resolve("split/config.json"))).contains("\"min-snr\"");

    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoint.Contents a = Checkpoint.read(whole.lastCheckpoint(), m);
      Checkpoint.Contents b = Checkpoint.read(second.lastCheckpoint(), m);
      assertThat(a.step()).isEqualTo(6);
      for (int i = 0; i < a.ema().size(); i++) {
        assertThat(b.ema().get(i).toFloatArray()).containsExactly(a.ema().get(i).toFloatArray());
      }
      assertThat(a.config().path("training").path("steps").asInt()).isEqualTo(6);
      var net = Checkpoint.loadNetwork(whole.lastCheckpoint(), m, true);
      assertThat(net.getParameters().valueAt(0).getArray().toFloatArray())
          .containsExactly(a.ema().get(0).toFloatArray());
    }
  }

  @Test
  void aNanLossStopsTheRunNamingTheStepAndKeepsTheLastCheckpoint(@TempDir Path dir) throws Exception {
    // a dataset whose images turn into NaN after 7 steps' worth of reads (batch 4)
    DatasetSource good = Fixtures.squares(10);
    AtomicInteger reads = new AtomicInteger();
    DatasetSource poisoned = new DatasetSource() {
      @Override
      public ImageShape shape() {
        return good.shape();
      }

      @Override
      public int size() {
        return good.size();
      }

      @Override
      public void read(int index, float[] dest, int offset) {
        good.read(index, dest, offset);
        if (reads.incrementAndGet() > 7 * 4) {
          dest[offset] = Float.NaN;
        }
      }
    };
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    assertThatThrownBy(() -> run(config(20, 3), poisoned, dir, false,
        new PrintWriter(log, true, StandardCharsets.UTF_8)))
        .isInstanceOf(TrainingStoppedException.class)
        .hasMessageContaining("step 8: the loss is NaN")
        .hasMessageContaining("the last good checkpoint is")
        .hasMessageContaining("step-00000006.ckpt (step 6)");
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("stopped: step 8");
    List<Path> kept = Checkpoint.list(dir.resolve("checkpoints"));
    assertThat(kept).extracting(p -> p.getFileName().toString())
        .containsExactly("step-00000003.ckpt", "step-00000006.ckpt");
    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoint.Contents c = Checkpoint.read(kept.get(1), m);
      assertThat(c.step()).isEqualTo(6);
      for (int i = 0; i < c.weights().size(); i++) {
        for (float v : c.weights().get(i).toFloatArray()) {
          assertThat(Float.isFinite(v)).isTrue();
        }
      }
    }
    List<String> metrics = new ArrayList<>(Files.readAllLines(dir.resolve("metrics.jsonl")));
    assertThat(metrics).hasSize(7);
  }

  @Test
  void resumeWithoutACheckpointSaysSo(@TempDir Path dir) {
    assertThatThrownBy(() -> run(config(3, 3), Fixtures.squares(4), dir, true, new PrintWriter(System.out, true)))
        .hasMessageContaining("--resume: no checkpoint in " + dir.resolve("checkpoints"));
  }

  @Test
  void aTruncatedCheckpointIsReportedByName(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("step-00000001.ckpt");
    Files.write(file, new byte[] {'P', 'K', 3, 4, 0, 0});
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> Checkpoint.read(file, m)).hasMessageContaining(file.toString());
    }
  }
}
