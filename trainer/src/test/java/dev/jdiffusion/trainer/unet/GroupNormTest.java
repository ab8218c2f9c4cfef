package dev.jdiffusion.trainer.unet;

import static dev.jdiffusion.trainer.Close.toDouble;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.trainer.Close;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Both routes of group norm, {@link GroupNorm#groupNorm} (libtorch's {@code group_norm} through
 * {@link FusedOps}) and {@link GroupNorm#viaBatchNorm} (the engine's batch norm on the grouped view),
 * against two independent computations, forward and gradients with respect to the input, gamma and
 * beta, for the loss
 * {@code L = sum(y * w)} with a fixed random {@code w} (so {@code dL/dy = w}):
 * <ul>
 *   <li>a double-precision hand computation of Wu &amp; He's eq. 1-3 and of its closed-form backward
 *       {@code dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)} per (sample, group),
 *       {@code dxhat = w * gamma_c}, {@code dgamma_c = sum(w * xhat)}, {@code dbeta_c = sum(w)};
 *   <li>the formula composed from reshape/mean/sub/mul/sqrt/div that the block used before, differentiated
 *       by autograd.
 * </ul>
 * Tolerance: {@code |a - b| <= 1e-5 + 1e-5 |b|} for every element (float32 results).
 */
class GroupNormTest {
  private static final double TOL = 1e-5;

  @Test
  void forwardAndGradientsMatchTheHandFormulaAndTheComposedOps() {
    check(3, 8, 5, 4, 4, 7);
    check(2, 6, 4, 4, 6, 8); // one channel per group
    check(4, 32, 8, 8, 32, 9); // the reference networks' group count
  }

  @Test
  void aSingleValuePerGroupNormalizesToZero() {
    check(2, 4, 1, 1, 4, 10);
  }

  private static void check(int b, int c, int h, int w, int groups, long seed) {
    Random r = new Random(seed);
    int n = b * c * h * w;
    float[] x = new float[n];
    float[] dy = new float[n];
    for (int i = 0; i < n; i++) {
      // an offset and scale per element block, so that cancellation in the variance is exercised
      x[i] = (float) (3 + 2 * r.nextGaussian());
      dy[i] = (float) r.nextGaussian();
    }
    float[] gamma = new float[c];
    float[] beta = new float[c];
    for (int i = 0; i < c; i++) {
      gamma[i] = (float) (1 + 0.5 * r.nextGaussian());
      beta[i] = (float) r.nextGaussian();
    }
    Shape shape = new Shape(b, c, h, w);
    Result composed = run(shape, x, dy, gamma, beta, groups, GroupNormTest::composedGroupNorm);
    Result hand = hand(b, c, h * w, groups, x, dy, gamma, beta);
    compare(run(shape, x, dy, gamma, beta, groups, GroupNorm::groupNorm), hand, composed,
        "fused, shape " + shape + ", groups " + groups);
    compare(run(shape, x, dy, gamma, beta, groups, GroupNorm::viaBatchNorm), hand, composed,
        "batch norm, shape " + shape + ", groups " + groups);
  }

  @Test
  void theFusedRouteIsTakenOnThePyTorchEngine() {
    try (NDManager manager = NDManager.newBaseManager()) {
      assertThat(FusedOps.available(manager.zeros(new Shape(2, 4, 3, 3)))).isTrue();
    }
  }

  private interface Route {
    NDArray apply(NDArray x, NDArray gamma, NDArray beta, int groups);
  }

  private static void compare(Result engine, Result hand, Result composed, String at) {
    Close.assertClose(engine.y, hand.y, TOL, TOL, at + ": y vs hand");
    Close.assertClose(engine.dx, hand.dx, TOL, TOL, at + ": dx vs hand");
    Close.assertClose(engine.dgamma, hand.dgamma, TOL, TOL, at + ": dgamma vs hand");
    Close.assertClose(engine.dbeta, hand.dbeta, TOL, TOL, at + ": dbeta vs hand");
    Close.assertClose(engine.y, composed.y, TOL, TOL, at + ": y vs composed ops");
    Close.assertClose(engine.dx, composed.dx, TOL, TOL, at + ": dx vs composed ops");
    Close.assertClose(engine.dgamma, composed.dgamma, TOL, TOL, at + ": dgamma vs composed ops");
    Close.assertClose(engine.dbeta, composed.dbeta, TOL, TOL, at + ": dbeta vs composed ops");
  }

  private record Result(double[] y, double[] dx, double[] dgamma, double[] dbeta) {}

  private static Result run(Shape shape, float[] xs, float[] dys, float[] gammas, float[] betas, int groups,
      Route route) {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.create(xs, shape);
      NDArray gamma = manager.create(gammas);
      NDArray beta = manager.create(betas);
      NDArray dy = manager.create(dys, shape);
      x.setRequiresGradient(true);
      gamma.setRequiresGradient(true);
      beta.setRequiresGradient(true);
      double[] y;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray out = route.apply(x, gamma, beta, groups);
        y = toDouble(out.toFloatArray());
        gc.backward(out.mul(dy).sum());
      }
      return new Result(y, toDouble(x.getGradient().toFloatArray()),
          toDouble(gamma.getGradient().toFloatArray()), toDouble(beta.getGradient().toFloatArray()));
    }
  }

  /** The block's former implementation, kept here as a reference. */
  private static NDArray composedGroupNorm(NDArray x, NDArray gamma, NDArray beta, int groups) {
    Shape s = x.getShape();
    long c = s.get(1);
    NDArray grouped = x.reshape(s.get(0), groups, -1);
    NDArray mean = grouped.mean(new int[] {2}, true);
    NDArray d = grouped.sub(mean);
    NDArray var = d.mul(d).mean(new int[] {2}, true);
    NDArray normed = d.div(var.add(Ops.constant(x, GroupNorm.EPSILON)).sqrt()).reshape(s);
    return normed.mul(gamma.reshape(1, c, 1, 1)).add(beta.reshape(1, c, 1, 1));
  }

  private static Result hand(int b, int c, int hw, int groups, float[] x, float[] dy, float[] gamma,
      float[] beta) {
    int n = b * c * hw;
    double[] y = new double[n];
    double[] dx = new double[n];
    double[] dgamma = new double[c];
    double[] dbeta = new double[c];
    int perGroup = c / groups * hw;
    for (int s = 0; s < b; s++) {
      for (int g = 0; g < groups; g++) {
        int from = (s * groups + g) * perGroup;
        double mean = 0;
        for (int i = 0; i < perGroup; i++) {
          mean += x[from + i];
        }
        mean /= perGroup;
        double var = 0;
        for (int i = 0; i < perGroup; i++) {
          var += (x[from + i] - mean) * (x[from + i] - mean);
        }
        var /= perGroup;
        double inv = 1 / Math.sqrt(var + GroupNorm.EPSILON);
        double[] xhat = new double[perGroup];
        double[] dxhat = new double[perGroup];
        double meanDxhat = 0;
        double meanDxhatXhat = 0;
        for (int i = 0; i < perGroup; i++) {
          int k = from + i;
          int ch = (k / hw) % c;
          xhat[i] = (x[k] - mean) * inv;
          y[k] = xhat[i] * gamma[ch] + beta[ch];
          dxhat[i] = dy[k] * gamma[ch];
          dgamma[ch] += dy[k] * xhat[i];
          dbeta[ch] += dy[k];
          meanDxhat += dxhat[i] / perGroup;
          meanDxhatXhat += dxhat[i] * xhat[i] / perGroup;
        }
        for (int i = 0; i < perGroup; i++) {
          dx[from + i] = (dxhat[i] - meanDxhat - xhat[i] * meanDxhatXhat) * inv;
        }
      }
    }
    return new Result(y, dx, dgamma, dbeta);
  }

}
