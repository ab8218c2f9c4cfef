package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.trainer.unet.UNet;
import org.junit.jupiter.api.Test;

/**
 * Lin et al. 2024's recipe: v-prediction on a zero-terminal-SNR schedule with weight 1 on the v-MSE
 * ({@code uniform:space=v}). A batch made only of the terminal step (SNR = 0, where {@code x_t} is pure
 * noise and the v target is {@code -x0}) must train the network: finite, non-zero gradients and the loss
 * {@code mean((out + x0)^2)} computed here from the network's own output.
 */
class ZeroTerminalSnrTrainingTest {
  private static final int[] TERMINAL = {999, 999, 999, 999};

  @Test
  void aBatchOfTerminalStepsGivesANonZeroGradientInVSpace() {
    double[] v = gradientNormAndCheckLoss("uniform:space=v", 1.0);
    assertThat(v[0]).as("loss").isPositive();
    assertThat(v[1]).as("gradient norm").isFinite().isPositive();
  }

  /** The same batch under an eps-space weight: a v-prediction's eps-MSE is 0 there, so nothing is learnt. */
  @Test
  void anEpsSpaceWeightLeavesTheTerminalStepUntrained() {
    double[] eps = gradientNormAndCheckLoss("uniform", 0.0);
    assertThat(eps[0]).isZero();
    assertThat(eps[1]).isZero();
  }

  /** Returns {loss, global gradient norm}; checks the loss against {@code weight * mean((out + x0)^2)}. */
  private static double[] gradientNormAndCheckLoss(String weighter, double weight) {
    Engines.pytorch().setRandomSeed(5);
    WeightedDenoisingLoss objective = Fixtures.objective("cosine:zeroTerminalSnr=true", "v", weighter);
    assertThat(objective.weight(999)).isEqualTo(weight);
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet net = new UNet(Fixtures.tinyNet());
      net.initialize(manager, DataType.FLOAT32, new Shape(4, 1, 8, 8), new Shape(4));
      net.getParameters().values().forEach(p -> p.getArray().setRequiresGradient(true));
      ParameterStore ps = new ParameterStore(manager, false);
      float[] images = new float[4 * 64];
      for (int i = 0; i < 4; i++) {
        Fixtures.squares(4).read(i, images, i * 64);
      }
      float[] noise = new float[4 * 64];
      StepRandom.of(3, 0, StepRandom.Purpose.NOISE).fillGaussian(noise);
      try (NDManager step = manager.newSubManager()) {
        NDArray x0 = step.create(images, new Shape(4, 1, 8, 8));
        NDArray eps = step.create(noise, new Shape(4, 1, 8, 8));
        double loss;
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray l = objective.compute(net, ps, x0, TERMINAL, eps, true).loss();
          loss = l.getFloat();
          gc.backward(l);
        }
        // At SNR = 0, x_t = eps; the network's output on it, then the v-MSE against -x0 by hand.
        float[] out = net.forward(ps, new NDList(eps, step.create(new float[] {999, 999, 999, 999})), false)
            .singletonOrThrow().toFloatArray();
        double mse = 0;
        for (int i = 0; i < out.length; i++) {
          double d = out[i] + images[i];
          mse += d * d / out.length;
        }
        assertThat(loss).isCloseTo(weight * mse, within(1e-5 * mse));
        double sq = 0;
        for (var p : net.getParameters().values()) {
          try (NDArray g = p.getArray().getGradient()) {
            for (float x : g.toFloatArray()) {
              sq += (double) x * x;
            }
          }
        }
        return new double[] {loss, Math.sqrt(sq)};
      }
    }
  }
}
