package dev.jdiffusion.trainer;

import static dev.jdiffusion.trainer.Close.toDouble;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The EMA and the global gradient norm against double-precision hand computations:
 * {@code ema_k = d_k ema_{k-1} + (1 - d_k) p_k} with {@code d_k = min(0.999, (1 + k) / (10 + k))} over five
 * updates of changing weights, and {@code sqrt(sum of every element squared)} over arrays of three shapes.
 * Tolerance {@code 1e-6 + 1e-6 |expected|} per element (float32 arithmetic).
 */
class EmaTest {
  @Test
  void fiveWarmedUpdatesFollowTheFormula() {
    Random r = new Random(3);
    try (NDManager manager = NDManager.newBaseManager()) {
      float[][] start = {gaussian(r, 6), gaussian(r, 4)};
      NDArray a = manager.create(start[0], new Shape(2, 3));
      NDArray b = manager.create(start[1], new Shape(4));
      double[][] expected = {toDouble(start[0]), toDouble(start[1])};
      try (Ema ema = new Ema(manager, List.of(a, b), 0.999, true)) {
        for (int k = 0; k < 5; k++) {
          float[][] next = {gaussian(r, 6), gaussian(r, 4)};
          a.set(next[0]);
          b.set(next[1]);
          double d = Math.min(0.999, (1.0 + k) / (10.0 + k));
          assertThat(ema.decayAt(k)).isEqualTo(d);
          for (int j = 0; j < 2; j++) {
            for (int i = 0; i < expected[j].length; i++) {
              expected[j][i] = d * expected[j][i] + (1 - d) * next[j][i];
            }
          }
          ema.update(List.of(a, b));
          for (int j = 0; j < 2; j++) {
            Close.assertClose(toDouble(ema.weights().get(j).toFloatArray()), expected[j], 1e-6, 1e-6,
                "EMA array " + j + " after update " + (k + 1));
          }
        }
        assertThat(ema.updates()).isEqualTo(5);
      }
    }
  }

  @Test
  void theGlobalNormIsTheNormOfAllElementsTogether() {
    Random r = new Random(4);
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] x = gaussian(r, 24);
      float[] y = gaussian(r, 5);
      float[] z = gaussian(r, 1);
      double sum = 0;
      for (float[] a : new float[][] {x, y, z}) {
        for (float v : a) {
          sum += (double) v * v;
        }
      }
      List<NDArray> arrays = List.of(manager.create(x, new Shape(2, 3, 4)), manager.create(y, new Shape(5)),
          manager.create(z, new Shape(1, 1)));
      for (boolean fused : new boolean[] {true, false}) {
        assertThat(DiffusionTrainer.globalNorm(arrays, fused)).as("fused " + fused)
            .isCloseTo(Math.sqrt(sum), org.assertj.core.data.Offset.offset(1e-6 * Math.sqrt(sum)));
      }
    }
  }

  private static float[] gaussian(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }
}
