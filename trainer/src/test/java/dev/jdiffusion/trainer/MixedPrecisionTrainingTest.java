package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.trainer.unet.Autocast;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code training.precision: bf16-mixed} end to end on the CPU: the loss falls as in float32, everything the
 * optimizer touches stays float32, checkpoints are float32 and record the precision, and a resumed bf16 run
 * repeats the uninterrupted one. Also the float16 route (a GPU without bfloat16) as far as a CPU can run it:
 * the loss scaler scales, skips an overflowing step without touching the weights, and halves.
 */
class MixedPrecisionTrainingTest {

  @Test
  void bf16MixedTrainsLikeFp32AndKeepsFloat32State() {
    WeightedDenoisingLoss objective = Fixtures.objective("cosine", "eps", "min-snr");
    DatasetSource data = Fixtures.squares(32);
    List<Double> fp32Losses = new ArrayList<>();
    try (DiffusionTrainer fp32 = new DiffusionTrainer(Fixtures.tinyNet(),
        Fixtures.training(40, 16, 3e-3, 1000), objective, data, Device.cpu())) {
      assertThat(fp32.computeType()).isEqualTo(Autocast.ComputeType.FP32);
      for (int i = 0; i < 3; i++) {
        fp32Losses.add(fp32.trainStep().loss());
      }
    }
    try (DiffusionTrainer trainer = new DiffusionTrainer(Fixtures.tinyNet(),
        Fixtures.training(40, 16, 3e-3, 1000, "bf16-mixed"), objective, data, Device.cpu())) {
      assertThat(trainer.computeType()).isEqualTo(Autocast.ComputeType.BF16);
      double before = LossDecreasesTest.evaluate(trainer, objective, data);
      double firstLoss = trainer.trainStep().loss();
      // same initial weights and batch: the first losses differ only by bf16 rounding (and really differ)
      assertThat(Math.abs(firstLoss - fp32Losses.get(0)) / fp32Losses.get(0)).isLessThan(3e-2).isGreaterThan(0);
      for (int i = 1; i < 40; i++) {
        DiffusionTrainer.StepResult r = trainer.trainStep();
        assertThat(r.loss()).isFinite();
        assertThat(r.skipped()).isFalse();
      }
      double after = LossDecreasesTest.evaluate(trainer, objective, data);
      assertThat(after).as("evaluation loss after 40 bf16-mixed steps (before: %s)", before)
          .isLessThan(0.7 * before);
      for (NDList list : new NDList[] {trainer.parameters(), trainer.emaWeights(), trainer.optimizer().state()}) {
        for (NDArray a : list) {
          assertThat(a.getDataType()).isEqualTo(DataType.FLOAT32);
        }
      }
      assertThat(trainer.lossScaler().isDynamic()).isFalse();
    }
  }

  @Test
  void aBf16RunRecordsItsPrecisionAndResumesExactly(@TempDir Path dir) throws Exception {
    PrintWriter quiet = new PrintWriter(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    DatasetSource data = Fixtures.squares(10);
    TrainingRun.Summary whole = TrainingRunTest.run(config(6), data, dir.resolve("whole"), false, quiet);
    TrainingRunTest.run(config(3), data, dir.resolve("split"), false, quiet);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    TrainingRun.Summary second = TrainingRunTest.run(config(6), data, dir.resolve("split"), true,
        new PrintWriter(log, true, StandardCharsets.UTF_8));
    assertThat(second.losses()).containsExactlyElementsOf(whole.losses().subList(3, 6));
    assertThat(log.toString(StandardCharsets.UTF_8))
        .contains("precision bf16-mixed (bf16 compute, fp32 weights)");
    assertThat(Files.readString(dir.resolve("split/config.json"))).contains("\"precision\" : \"bf16-mixed\"");
    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoint.Contents c = Checkpoint.read(whole.lastCheckpoint(), m);
      assertThat(c.config().path("training").path("precision").asText()).isEqualTo("bf16-mixed");
      for (NDList list : new NDList[] {c.weights(), c.ema(), c.optimizer()}) {
        for (NDArray a : list) {
          assertThat(a.getDataType()).isEqualTo(DataType.FLOAT32);
        }
      }
    }
  }

  @Test
  void aRunKeepsItsPrecisionOnResumeAndOlderRunsCountAsFp32() throws Exception {
    var json = Fixtures.reader().json();
    var old = json.readTree("{\"training\": {\"steps\": 5}}");
    var fp32 = json.readTree("{\"training\": {\"steps\": 5, \"precision\": \"fp32\"}}");
    var bf16 = json.readTree("{\"training\": {\"steps\": 5, \"precision\": \"bf16-mixed\"}}");
    assertThat(RunDirectory.differences(old, fp32)).isEmpty();
    assertThat(RunDirectory.differences(old, bf16)).singleElement().asString().startsWith("training.precision");
    assertThat(RunDirectory.differences(bf16, fp32)).singleElement().asString().startsWith("training.precision");
  }

  @Test
  void float16SkipsAnOverflowingStepHalvesTheScaleAndThenTrains() {
    WeightedDenoisingLoss objective = Fixtures.objective("cosine", "eps", "min-snr");
    DatasetSource data = Fixtures.squares(32);
    try (DiffusionTrainer trainer = new DiffusionTrainer(Fixtures.tinyNet(),
        Fixtures.training(10, 16, 3e-3, 1000, "bf16-mixed"), objective, data, Device.cpu(),
        Autocast.ComputeType.FP16)) {
      assertThat(trainer.lossScaler().isDynamic()).isTrue();
      // a scale far beyond float16's range (65504): the scaled gradients overflow in the float16 backward
      trainer.lossScaler(LossScaler.dynamic(1e30, 2000));
      float[] before = trainer.parameters().get(0).toFloatArray();
      DiffusionTrainer.StepResult first = trainer.trainStep();
      assertThat(first.skipped()).isTrue();
      assertThat(first.loss()).isFinite();
      assertThat(trainer.lossScaler().scale()).isEqualTo(5e29);
      assertThat(trainer.parameters().get(0).toFloatArray()).as("no update").containsExactly(before);
      // at a representable scale the steps apply, with gradients divided by the scale again
      trainer.lossScaler(LossScaler.dynamic(1024, 2000));
      DiffusionTrainer.StepResult second = trainer.trainStep();
      assertThat(second.skipped()).isFalse();
      assertThat(second.gradNorm()).isFinite().isGreaterThan(0).isLessThan(1e3);
      assertThat(trainer.parameters().get(0).toFloatArray()).isNotEqualTo(before);
    }
  }

  /**
   * A float16 run's checkpoint keeps its loss scale and the finite steps since the scale last changed, and a
   * run resumed from it goes on there instead of restarting at 65536; bfloat16 checkpoints record none.
   */
  @Test
  void float16CheckpointsKeepTheLossScale(@TempDir Path dir) throws Exception {
    WeightedDenoisingLoss objective = Fixtures.objective("cosine", "eps", "min-snr");
    DatasetSource data = Fixtures.squares(32);
    var config = Fixtures.reader().json().readTree("{\"training\": {\"precision\": \"bf16-mixed\"}}");
    Path file;
    try (DiffusionTrainer trainer = new DiffusionTrainer(Fixtures.tinyNet(),
        Fixtures.training(10, 16, 3e-3, 1000, "bf16-mixed"), objective, data, Device.cpu(),
        Autocast.ComputeType.FP16)) {
      trainer.lossScaler(LossScaler.dynamic(1e30, 2000));
      assertThat(trainer.trainStep().skipped()).isTrue();   // overflow: the scale halves to 5e29
      LossScaler nearGrowth = LossScaler.dynamic(1024, 2000);
      nearGrowth.restore(new LossScaler.State(1024, 1997));
      trainer.lossScaler(nearGrowth);
      assertThat(trainer.trainStep().skipped()).isFalse();
      assertThat(trainer.trainStep().skipped()).isFalse();
      assertThat(trainer.lossScaler().state()).isEqualTo(new LossScaler.State(1024, 1999));
      file = Checkpoint.write(dir, trainer, config);
    }
    try (NDManager m = NDManager.newBaseManager();
        DiffusionTrainer resumed = new DiffusionTrainer(Fixtures.tinyNet(),
            Fixtures.training(10, 16, 3e-3, 1000, "bf16-mixed"), objective, data, Device.cpu(),
            Autocast.ComputeType.FP16)) {
      Checkpoint.Contents c = Checkpoint.read(file, m);
      assertThat(c.lossScale()).contains(new LossScaler.State(1024, 1999));
      assertThat(resumed.lossScaler().scale()).isEqualTo(65536);
      resumed.restore(c.step(), c.weights(), c.ema(), c.emaUpdates(), c.optimizer(), c.optimizerUpdates(),
          c.lossScale());
      assertThat(resumed.lossScaler().state()).isEqualTo(new LossScaler.State(1024, 1999));
      // the 2000th finite step in a row doubles the scale, as it would have without the stop
      assertThat(resumed.trainStep().skipped()).isFalse();
      assertThat(resumed.lossScaler().state()).isEqualTo(new LossScaler.State(2048, 0));
    }
    try (DiffusionTrainer bf16 = new DiffusionTrainer(Fixtures.tinyNet(),
        Fixtures.training(10, 16, 3e-3, 1000, "bf16-mixed"), objective, data, Device.cpu(),
        Autocast.ComputeType.BF16);
        NDManager m = NDManager.newBaseManager()) {
      bf16.trainStep();
      assertThat(Checkpoint.read(Checkpoint.write(dir.resolve("bf16"), bf16, config), m).lossScale()).isEmpty();
    }
  }

  private static TrainConfig config(int steps) {
    TrainConfig c = TrainingRunTest.config(steps, 3);
    return new TrainConfig(c.schedule(), c.parameterization(), c.weighter(), Optional.empty(), c.model(),
        Fixtures.training(steps, 4, 1e-3, 3, "bf16-mixed"));
  }
}
