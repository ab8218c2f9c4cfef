package dev.jdiffusion.trainer.unet;

import static dev.jdiffusion.trainer.Close.toDouble;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.jdiffusion.trainer.Close;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The routes of SiLU, {@link Ops#silu} (libtorch's {@code silu} through {@link FusedOps}), {@link
 * Ops#siluBeforeConv} (the same on a channels-last copy) and {@link Ops#siluComposed} ({@code x * sigmoid(x)}
 * from DJL ops), against the closed forms in double
 * precision: {@code y = x s}, {@code dy/dx = s (1 + x (1 - s))} with {@code s = 1 / (1 + e^-x)}, for the
 * loss {@code L = sum(y * w)} with a fixed random {@code w}. Inputs span [-12, 12] (both saturated tails).
 * Tolerance: {@code |a - b| <= 1e-6 + 1e-6 |b|} per element (float32 results).
 */
class SiluTest {
  private static final double TOL = 1e-6;

  @Test
  void valuesAndGradientsMatchTheClosedForms() {
    Random r = new Random(11);
    int n = 2 * 3 * 5 * 7;
    float[] x = new float[n];
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (-12 + 24.0 * i / (n - 1));
      w[i] = (float) r.nextGaussian();
    }
    double[] y = new double[n];
    double[] dx = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 1 / (1 + Math.exp(-x[i]));
      y[i] = x[i] * s;
      dx[i] = w[i] * s * (1 + x[i] * (1 - s));
    }
    check(Ops::silu, x, w, y, dx, "fused");
    check(Ops::siluComposed, x, w, y, dx, "composed");
    check(Ops::siluBeforeConv, x, w, y, dx, "channels-last");
  }

  private static void check(UnaryOperator<NDArray> silu, float[] xs, float[] ws, double[] y, double[] dx,
      String route) {
    try (NDManager manager = NDManager.newBaseManager()) {
      Shape shape = new Shape(2, 3, 5, 7);
      NDArray x = manager.create(xs, shape);
      NDArray w = manager.create(ws, shape);
      x.setRequiresGradient(true);
      double[] out;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray result = silu.apply(x);
        out = toDouble(result.toFloatArray());
        gc.backward(result.mul(w).sum());
      }
      Close.assertClose(out, y, TOL, TOL, route + " silu: y");
      Close.assertClose(toDouble(x.getGradient().toFloatArray()), dx, TOL, TOL, route + " silu: dx");
    }
  }
}
