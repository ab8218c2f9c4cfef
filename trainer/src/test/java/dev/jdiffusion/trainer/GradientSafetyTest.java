package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.trainer.unet.UNet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DJL's scalar NDArray arithmetic leaves autograd pointing at freed Java buffers; a garbage collection
 * between forward and backward then corrupts gradients (DESIGN.md). The network and the objective must
 * not use it: gradients computed with forced collections in between must equal those without, bit for bit.
 */
class GradientSafetyTest {

  @Test
  void gradientsAreTheSameWithAGarbageCollectionBetweenForwardAndBackward() {
    Engines.pytorch().setRandomSeed(11);
    WeightedDenoisingLoss objective = Fixtures.objective("cosine", "v", "min-snr");
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet net = new UNet(Fixtures.tinyNet());
      net.initialize(manager, DataType.FLOAT32, new Shape(4, 1, 8, 8), new Shape(4));
      List<NDArray> params = new ArrayList<>();
      net.getParameters().values().forEach(p -> {
        p.getArray().setRequiresGradient(true);
        params.add(p.getArray());
      });
      ParameterStore ps = new ParameterStore(manager, false);
      float[] images = new float[4 * 64];
      Fixtures.squares(4).read(0, images, 0);
      for (int i = 1; i < 4; i++) {
        Fixtures.squares(4).read(i, images, i * 64);
      }
      float[] noise = new float[4 * 64];
      StepRandom.of(1, 0, StepRandom.Purpose.NOISE).fillGaussian(noise);
      int[] t = {0, 10, 400, 999};

      List<float[]> reference = gradients(net, objective, ps, params, manager, images, noise, t, false);
      for (int round = 0; round < 3; round++) {
        List<float[]> withGc = gradients(net, objective, ps, params, manager, images, noise, t, true);
        for (int i = 0; i < params.size(); i++) {
          for (float g : withGc.get(i)) {
            assertThat(Float.isFinite(g)).as("gradient of parameter %d is finite", i).isTrue();
          }
          assertThat(withGc.get(i)).as("gradient of parameter %d", i).containsExactly(reference.get(i));
        }
      }
      assertThat(reference.stream().mapToDouble(g -> Math.abs(g[0])).sum()).isPositive();
    }
  }

  private static List<float[]> gradients(UNet net, WeightedDenoisingLoss objective, ParameterStore ps,
      List<NDArray> params, NDManager manager, float[] images, float[] noise, int[] t, boolean collect) {
    try (NDManager step = manager.newSubManager()) {
      NDArray x0 = step.create(images, new Shape(4, 1, 8, 8));
      NDArray eps = step.create(noise, new Shape(4, 1, 8, 8));
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray loss = objective.compute(net, ps, x0, t, eps, true).loss();
        if (collect) {
          for (int i = 0; i < 5; i++) {
            byte[][] garbage = new byte[2000][];
            for (int j = 0; j < garbage.length; j++) {
              garbage[j] = new byte[1024];
            }
            System.gc();
          }
        }
        gc.backward(loss);
      }
      List<float[]> out = new ArrayList<>();
      for (NDArray p : params) {
        try (NDArray g = p.getGradient()) {
          out.add(g.toFloatArray());
          g.subi(g);
        }
      }
      return out;
    }
  }
}
