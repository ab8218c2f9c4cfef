package dev.jdiffusion.trainer;

import static dev.jdiffusion.trainer.Close.toDouble;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.jdiffusion.trainer.unet.FusedOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link AdamW} and {@link Ema} against double-precision hand computations of their documented formulas
 * (Loshchilov &amp; Hutter 2019, Algorithm 2, as {@code torch.optim.AdamW} does it; the EMA with warm-up),
 * over several updates with weight decay, a gradient scale and bias correction, on two parameter tensors
 * of different shapes. Tolerance: {@code |a - b| <= 1e-6 + 1e-5 |b|} per element (float32 state).
 *
 * <p>The weights are checked against the formula with the betas as given (0.9, 0.999). The raw moments
 * are checked against the same recurrences with the betas rounded to float32, as the engine applies
 * them: {@code 1 - 0.999f} is 1.3e-5 below 0.001, so the raw second moment differs from the
 * exact-beta recurrence by about that much relatively; the bias-corrected moments, and so the update,
 * do not (they are normalized averages with float32-beta weights).
 */
class AdamWTest {
  private static final double B1 = 0.9;
  private static final double B2 = 0.999;
  private static final double EPS = 1e-8;
  private static final double B1F = (float) B1;
  private static final double B2F = (float) B2;

  /** libtorch's fused AdamW kernel and the moving average in one call: what training uses. */
  @Test
  void adamWFollowsTheDecoupledWeightDecayFormula() {
    check(0.01, new double[] {1e-3, 2e-3, 2e-3, 5e-4, 1e-3}, new double[] {1, 0.5, 1, 0.25, 1}, true);
  }

  @Test
  void adamWWithoutWeightDecay() {
    check(0, new double[] {2e-4, 2e-4, 2e-4}, new double[] {1, 1, 0.3}, true);
  }

  /** The per-tensor updates, used where libtorch cannot compile TorchScript. */
  @Test
  void thePerTensorUpdatesFollowTheSameFormula() {
    check(0.01, new double[] {1e-3, 2e-3, 2e-3, 5e-4, 1e-3}, new double[] {1, 0.5, 1, 0.25, 1}, false);
    check(0, new double[] {2e-4, 2e-4, 2e-4}, new double[] {1, 1, 0.3}, false);
  }

  private static void check(double weightDecay, double[] lrs, double[] scales, boolean fused) {
    Random r = new Random(5);
    Shape[] shapes = {new Shape(3, 4), new Shape(7)};
    try (NDManager manager = NDManager.newBaseManager()) {
      List<NDArray> params = new ArrayList<>();
      List<double[]> p = new ArrayList<>();
      List<double[]> m = new ArrayList<>();
      List<double[]> mf = new ArrayList<>();
      List<double[]> vf = new ArrayList<>();
      List<double[]> v = new ArrayList<>();
      List<double[]> ema = new ArrayList<>();
      for (Shape s : shapes) {
        float[] init = new float[(int) s.size()];
        for (int i = 0; i < init.length; i++) {
          init[i] = (float) r.nextGaussian();
        }
        NDArray a = manager.create(init, s);
        a.setRequiresGradient(true);
        params.add(a);
        p.add(toDouble(init));
        m.add(new double[init.length]);
        v.add(new double[init.length]);
        mf.add(new double[init.length]);
        vf.add(new double[init.length]);
        ema.add(toDouble(init));
      }
      // the libtorch of this build has the fused kernels: a fused check must not pass on the fallback
      assertThat(FusedOps.optimizerKernelsAvailable(params.get(0))).isEqualTo(true);
      AdamW adam = new AdamW(manager, params, B1, B2, EPS, weightDecay, fused);
      Ema average = new Ema(manager, params, 0.999, true, fused);
      for (int k = 0; k < lrs.length; k++) {
        List<float[]> grads = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          // the gradients come from a backward pass, as in training: d/dp sum(p * G) = G
          try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray loss = null;
            for (int j = 0; j < shapes.length; j++) {
              float[] gs = new float[(int) shapes[j].size()];
              for (int i = 0; i < gs.length; i++) {
                // some gradients much larger than others, as in a network
                gs[i] = (float) (r.nextGaussian() * (i % 3 == 0 ? 10 : 0.1));
              }
              grads.add(gs);
              NDArray term = params.get(j).mul(manager.create(gs, shapes[j])).sum();
              loss = loss == null ? term : loss.add(term);
            }
            collector.backward(loss);
          }
          List<NDArray> g = new ArrayList<>();
          for (NDArray a : params) {
            g.add(a.getGradient());
          }
          adam.update(params, g, lrs[k], scales[k]);
          average.update(params);
          for (NDArray a : params) {
            assertThat(a.getGradient().abs().max().getFloat()).as("gradient after the update").isZero();
          }
        }
        double bc1 = 1 - Math.pow(B1, k + 1);
        double bc2 = 1 - Math.pow(B2, k + 1);
        double d = Math.min(0.999, (1.0 + k) / (10.0 + k));
        for (int j = 0; j < shapes.length; j++) {
          double[] pj = p.get(j);
          double[] mj = m.get(j);
          double[] vj = v.get(j);
          double[] ej = ema.get(j);
          float[] gj = grads.get(j);
          for (int i = 0; i < pj.length; i++) {
            double g = gj[i] * scales[k];
            pj[i] -= lrs[k] * weightDecay * pj[i];
            mj[i] = B1 * mj[i] + (1 - B1) * g;
            vj[i] = B2 * vj[i] + (1 - B2) * g * g;
            pj[i] -= lrs[k] * (mj[i] / bc1) / (Math.sqrt(vj[i] / bc2) + EPS);
            ej[i] = d * ej[i] + (1 - d) * pj[i];
            mf.get(j)[i] = B1F * mf.get(j)[i] + (1 - B1F) * g;
            vf.get(j)[i] = B2F * vf.get(j)[i] + (1 - B2F) * g * g;
          }
          String at = "update " + (k + 1) + ", tensor " + j;
          Close.assertClose(toDouble(params.get(j).toFloatArray()), pj, 1e-6, 1e-5, at + ": weights");
          Close.assertClose(toDouble(adam.state().get(j).toFloatArray()), mf.get(j),
              1e-6, 1e-5, at + ": first moment");
          Close.assertClose(toDouble(adam.state().get(shapes.length + j).toFloatArray()), vf.get(j),
              1e-6, 1e-5, at + ": second moment");
          Close.assertClose(toDouble(average.weights().get(j).toFloatArray()), ej, 1e-6, 1e-5, at + ": EMA");
        }
      }
      assertThat(adam.updates()).isEqualTo(lrs.length);
      adam.close();
      average.close();
    }
  }

}
