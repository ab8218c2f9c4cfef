package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.spi.dataset.DatasetSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A few dozen AdamW steps on the small synthetic squares must lower the objective, measured on a fixed
 * evaluation batch (fixed images, timesteps spread over the schedule, fixed noise) so that the comparison
 * does not depend on which timesteps the training batches drew.
 */
class LossDecreasesTest {

  @ParameterizedTest
  @ValueSource(strings = {"eps", "x0", "v"})
  void lossDecreasesWithinAFewDozenSteps(String parameterization) {
    WeightedDenoisingLoss objective = Fixtures.objective("cosine", parameterization, "min-snr");
    DatasetSource data = Fixtures.squares(32);
    try (DiffusionTrainer trainer = new DiffusionTrainer(Fixtures.tinyNet(),
        Fixtures.training(40, 16, 3e-3, 1000), objective, data, Device.cpu())) {
      double before = evaluate(trainer, objective, data);
      for (int i = 0; i < 40; i++) {
        DiffusionTrainer.StepResult r = trainer.trainStep();
        assertThat(r.loss()).isFinite();
      }
      double after = evaluate(trainer, objective, data);
      assertThat(after).as("evaluation loss after 40 steps (before: %s)", before).isLessThan(0.7 * before);
    }
  }

  static double evaluate(DiffusionTrainer trainer, WeightedDenoisingLoss objective, DatasetSource data) {
    int n = 32;
    float[] images = new float[n * 64];
    for (int i = 0; i < n; i++) {
      data.read(i, images, i * 64);
    }
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = 15 + i * 30;
    }
    float[] noise = new float[n * 64];
    StepRandom.of(12345, 0, StepRandom.Purpose.NOISE).fillGaussian(noise);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x0 = m.create(images, new Shape(n, 1, 8, 8));
      NDArray eps = m.create(noise, new Shape(n, 1, 8, 8));
      return objective.compute(trainer.network(), new ParameterStore(m, false), x0, t, eps, false)
          .loss().getFloat();
    }
  }
}
