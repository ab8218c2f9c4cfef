package dev.jdiffusion.trainer.unet;

import static dev.jdiffusion.trainer.Close.toDouble;
import static dev.jdiffusion.trainer.unet.MixedPrecisionConvolutionTest.assertWithinBf16;
import static dev.jdiffusion.trainer.unet.MixedPrecisionConvolutionTest.relativeRms;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.Pair;
import dev.jdiffusion.trainer.Engines;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The other low-precision ops of mixed-precision training, and the whole network under
 * {@link Autocast}: linear layers against a direct double-precision sum (the tolerance of
 * {@link MixedPrecisionConvolutionTest}), attention and the UNet against their float32 forms.
 *
 * <p>Against float32 the bound is on relative RMS difference: {@code 2^-5} (about 3e-2) for attention and for
 * the UNet's output, {@code 2^-4} for the UNet's parameter gradients. Rationale: each low-precision op adds
 * about {@code u = 2^-9} relative error per rounding; a network of {@code L} such ops in series gives about
 * {@code sqrt(L) u} to {@code L u} (about 4e-3 to 4e-2 for the ~20 ops of the tiny net), and gradients pass
 * through each op twice (measured over several initializations: outputs 0.9-1.5e-2, gradients 1.9-2.9e-2). Each test also checks that the low-precision result differs from float32 (relative RMS above
 * {@code u / 16}), so that a silent float32 route would fail.
 */
class MixedPrecisionLayersTest {
  private static final double U = Math.scalb(1.0, -9);
  private static final double VS_FP32 = Math.scalb(1.0, -5);

  @Test
  void bf16LinearMatchesTheDirectSum() {
    Engines.pytorch();
    int b = 5;
    int in = 24;
    int out = 40;
    Random r = new Random(3);
    float[] x = gaussian(r, b * in);
    float[] w = gaussian(r, out * in);
    float[] bias = gaussian(r, out);
    float[] g = gaussian(r, b * out);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray xa = m.create(x, new Shape(b, in));
      NDArray wa = m.create(w, new Shape(out, in));
      NDArray ba = m.create(bias, new Shape(out));
      for (NDArray a : new NDArray[] {xa, wa, ba}) {
        a.setRequiresGradient(true);
      }
      double[] y;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray ya = FusedOps.linear(xa, wa, ba, Autocast.ComputeType.BF16);
        assertThat(ya.getDataType()).isEqualTo(DataType.FLOAT32);
        y = toDouble(ya.toFloatArray());
        gc.backward(ya.mul(m.create(g, new Shape(b, out))).sum());
      }
      double[] ey = new double[b * out];
      double[] eyAbs = new double[b * out];
      double[] edx = new double[b * in];
      double[] edxAbs = new double[b * in];
      double[] edw = new double[out * in];
      double[] edwAbs = new double[out * in];
      double[] edb = new double[out];
      double[] edbAbs = new double[out];
      for (int i = 0; i < b; i++) {
        for (int o = 0; o < out; o++) {
          double gy = g[i * out + o];
          ey[i * out + o] = bias[o];
          eyAbs[i * out + o] = Math.abs(bias[o]);
          edb[o] += gy;
          edbAbs[o] += Math.abs(gy);
          for (int c = 0; c < in; c++) {
            double xw = (double) x[i * in + c] * w[o * in + c];
            ey[i * out + o] += xw;
            eyAbs[i * out + o] += Math.abs(xw);
            edx[i * in + c] += gy * w[o * in + c];
            edxAbs[i * in + c] += Math.abs(gy * w[o * in + c]);
            edw[o * in + c] += gy * x[i * in + c];
            edwAbs[o * in + c] += Math.abs(gy * x[i * in + c]);
          }
        }
      }
      assertWithinBf16(y, ey, eyAbs, "y");
      assertThat(relativeRms(y, ey)).as("y really rounded to bf16").isGreaterThan(U / 16);
      assertWithinBf16(toDouble(xa.getGradient().toFloatArray()), edx, edxAbs, "dx");
      assertWithinBf16(toDouble(wa.getGradient().toFloatArray()), edw, edwAbs, "dw");
      assertWithinBf16(toDouble(ba.getGradient().toFloatArray()), edb, edbAbs, "dbias");
    }
  }

  @Test
  void bf16AttentionMatchesFloat32Attention() {
    Engines.pytorch();
    int b = 2;
    int c = 16;
    int n = 12;
    Random r = new Random(4);
    float[] q = gaussian(r, b * c * n);
    float[] k = gaussian(r, b * c * n);
    float[] v = gaussian(r, b * c * n);
    float[] g = gaussian(r, b * c * n);
    List<double[]> results = new ArrayList<>();
    for (Autocast.ComputeType type : new Autocast.ComputeType[] {Autocast.ComputeType.FP32,
        Autocast.ComputeType.BF16}) {
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray qa = m.create(q, new Shape(b, c, n));
        NDArray ka = m.create(k, new Shape(b, c, n));
        NDArray va = m.create(v, new Shape(b, c, n));
        for (NDArray a : new NDArray[] {qa, ka, va}) {
          a.setRequiresGradient(true);
        }
        NDArray scale = Ops.constant(qa, (float) (1 / Math.sqrt(c)));
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray o = type == Autocast.ComputeType.FP32
              // float32 reference: DJL's own matMul and softmax, as AttentionBlock computes outside a scope
              ? va.matMul(ka.transpose(0, 2, 1).matMul(qa.mul(scale)).softmax(1))
              : FusedOps.attention(qa, ka, va, scale, type);
          assertThat(o.getDataType()).isEqualTo(DataType.FLOAT32);
          results.add(toDouble(o.toFloatArray()));
          gc.backward(o.mul(m.create(g, new Shape(b, c, n))).sum());
        }
        for (NDArray a : new NDArray[] {qa, ka, va}) {
          results.add(toDouble(a.getGradient().toFloatArray()));
        }
      }
    }
    String[] names = {"o", "dq", "dk", "dv"};
    for (int i = 0; i < 4; i++) {
      double e = relativeRms(results.get(4 + i), results.get(i));
      System.out.printf("bf16 vs fp32 attention, %s: %.3g relative RMS difference%n", names[i], e);
      assertThat(e).as("bf16 vs fp32 attention, %s: relative RMS difference", names[i])
          .isLessThanOrEqualTo(VS_FP32).isGreaterThan(U / 16);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {1, 2, 3})
  void theUNetUnderBf16MatchesItsFloat32ForwardAndGradients(int seed) {
    unetUnderBf16MatchesItsFloat32ForwardAndGradients(seed, 8);
  }

  /** The same with 32 and 64 channels, where the residual blocks run as one bfloat16 call each. */
  @Test
  void theUNetWithResidualBlocksInOneCallUnderBf16MatchesItsFloat32ForwardAndGradients() {
    unetUnderBf16MatchesItsFloat32ForwardAndGradients(4, 32);
  }

  private static void unetUnderBf16MatchesItsFloat32ForwardAndGradients(int seed, int baseChannels) {
    Engines.pytorch().setRandomSeed(seed); // DJL's initializers draw from the engine's generator
    UNetConfig cfg = new UNetConfig(3, 8, baseChannels, List.of(1, 2), 1, List.of(4), 0);
    int batch = 4;
    Random r = new Random(seed);
    float[] x = gaussian(r, batch * 3 * 64);
    float[] t = {3, 250, 600, 999};
    float[] g = gaussian(r, batch * 3 * 64);
    try (NDManager m = NDManager.newBaseManager()) {
      UNet net = UNetTest.initialized(m, cfg, batch);
      List<NDArray> params = perturbedParameters(net, r);
      List<double[]> fp32 = run(net, m, params, x, t, g, batch, Autocast.ComputeType.FP32);
      List<double[]> bf16 = run(net, m, params, x, t, g, batch, Autocast.ComputeType.BF16);
      double outputError = relativeRms(bf16.get(0), fp32.get(0));
      assertThat(outputError).as("output: relative RMS difference").isLessThanOrEqualTo(VS_FP32)
          .isGreaterThan(U / 16);
      double num = 0;
      double den = 0;
      for (int i = 1; i < fp32.size(); i++) {
        double[] a = bf16.get(i);
        double[] e = fp32.get(i);
        for (int j = 0; j < a.length; j++) {
          num += (a[j] - e[j]) * (a[j] - e[j]);
          den += e[j] * e[j];
        }
      }
      System.out.printf("bf16 vs fp32 UNet: output %.3g, gradients %.3g relative RMS difference%n", outputError,
          Math.sqrt(num / den));
      assertThat(Math.sqrt(num / den)).as("all parameter gradients: relative RMS difference")
          .isLessThanOrEqualTo(2 * VS_FP32);
      // and a plain forward after the scope is float32 again
      try (NDManager step = m.newSubManager()) {
        NDArray out = UNetTest.forward(net, step, step.create(x, new Shape(batch, 3, 8, 8)), t);
        assertThat(toDouble(out.toFloatArray())).containsExactly(fp32.get(0));
      }
    }
  }

  /**
   * A residual block whose convolutions take the NCHW route runs as one low-precision call in bfloat16 ({@link
   * FusedOps#residualBlock}: bfloat16 activations between its convolutions, mixed-type group norm): its output and
   * the gradients of its input, its timestep input and every parameter stay within the bound of the whole UNet
   * above of the float32 block, and differ from it (the call really rounds). With and without the 1x1 shortcut.
   */
  @ParameterizedTest(name = "{0} -> 64 channels")
  @ValueSource(ints = {32, 64})
  void theBf16ResidualBlockInOneCallMatchesItsFloat32Form(int in) {
    Engines.pytorch().setRandomSeed(in);
    int out = 64;
    int emb = 16;
    int batch = 2;
    int size = 8;
    Random r = new Random(in);
    float[] x = gaussian(r, batch * in * size * size);
    float[] temb = gaussian(r, batch * emb);
    float[] g = gaussian(r, batch * out * size * size);
    try (NDManager m = NDManager.newBaseManager()) {
      ResidualBlock block = new ResidualBlock(in, out, emb, 0);
      block.setInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN,
          1f), Parameter.Type.WEIGHT);
      Shape xShape = new Shape(batch, in, size, size);
      block.initialize(m, DataType.FLOAT32, xShape, new Shape(batch, emb));
      List<NDArray> params = perturbedParameters(block, r);
      NDArray probe = m.create(x, xShape);
      Shape w1 = block.conv1().getParameters().get("weight").getArray().getShape();
      Shape w2 = block.conv2().getParameters().get("weight").getArray().getShape();
      int g1 = block.norm1().groups();
      int g2 = block.norm2().groups();
      assertThat(FusedOps.lowPrecisionResidualRoute(probe, w1, w2, g1, g2, Autocast.ComputeType.BF16))
          .as("the one-call route in bf16").isTrue();
      assertThat(FusedOps.lowPrecisionResidualRoute(probe, w1, w2, g1, g2, Autocast.ComputeType.FP32)).isFalse();
      assertThat(FusedOps.lowPrecisionResidualRoute(probe, w1, w2, g1, g2, Autocast.ComputeType.FP16)).isFalse();
      List<double[]> fp32 = runBlock(block, m, params, x, xShape, temb, g, Autocast.ComputeType.FP32);
      List<double[]> bf16 = runBlock(block, m, params, x, xShape, temb, g, Autocast.ComputeType.BF16);
      String[] names = new String[fp32.size()];
      names[0] = "y";
      names[1] = "dx";
      names[2] = "dtemb";
      for (int i = 3; i < names.length; i++) {
        names[i] = "d" + block.getParameters().get(i - 3).getKey();
      }
      for (int i = 0; i < fp32.size(); i++) {
        double e = relativeRms(bf16.get(i), fp32.get(i));
        System.out.printf("bf16 residual block in one call vs fp32 (%d -> %d), %s: %.3g relative RMS difference%n",
            in, out, names[i], e);
        assertThat(e).as("%s: relative RMS difference from float32", names[i]).isLessThanOrEqualTo(VS_FP32)
            .isGreaterThan(U / 16);
      }
    }
  }

  /**
   * Output, then the gradients of the input, the timestep input and each parameter, of {@code sum(block(x, temb)
   * * g)} computed in {@code type}.
   */
  private static List<double[]> runBlock(ResidualBlock block, NDManager m, List<NDArray> params, float[] x,
      Shape xShape, float[] temb, float[] g, Autocast.ComputeType type) {
    List<double[]> out = new ArrayList<>();
    try (NDManager step = m.newSubManager()) {
      NDArray xa = step.create(x, xShape);
      NDArray ta = step.create(temb, new Shape(xShape.get(0), temb.length / xShape.get(0)));
      xa.setRequiresGradient(true);
      ta.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray y = Autocast.compute(type, () -> block.forward(new ParameterStore(step, false), new NDList(xa, ta),
            true).singletonOrThrow());
        assertThat(y.getDataType()).isEqualTo(DataType.FLOAT32);
        out.add(toDouble(y.toFloatArray()));
        gc.backward(y.mul(step.create(g, y.getShape())).sum());
      }
      out.add(toDouble(xa.getGradient().toFloatArray()));
      out.add(toDouble(ta.getGradient().toFloatArray()));
      for (NDArray p : params) {
        assertThat(p.getGradient().getDataType()).isEqualTo(DataType.FLOAT32);
        out.add(toDouble(p.getGradient().toFloatArray()));
        p.getGradient().subi(p.getGradient());
      }
    }
    return out;
  }

  /** Output, then the gradient of each parameter, of {@code sum(net(x, t) * g)} computed in {@code type}. */
  private static List<double[]> run(UNet net, NDManager m, List<NDArray> params, float[] x, float[] t, float[] g,
      int batch, Autocast.ComputeType type) {
    List<double[]> out = new ArrayList<>();
    try (NDManager step = m.newSubManager()) {
      NDArray xa = step.create(x, new Shape(batch, 3, 8, 8));
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray y = Autocast.compute(type, () -> net.forward(new ParameterStore(step, false),
            new NDList(xa, step.create(t)), true).singletonOrThrow());
        assertThat(y.getDataType()).isEqualTo(DataType.FLOAT32);
        out.add(toDouble(y.toFloatArray()));
        gc.backward(y.mul(step.create(g, y.getShape())).sum());
      }
      for (NDArray p : params) {
        assertThat(p.getGradient().getDataType()).isEqualTo(DataType.FLOAT32);
        out.add(toDouble(p.getGradient().toFloatArray()));
        p.getGradient().subi(p.getGradient());
      }
    }
    return out;
  }

  /**
   * {@code block}'s parameter arrays, each moved by 0.1 times Gaussian noise (random biases and gains too, so
   * that no term hides behind a zero or a one) and set to record gradients.
   */
  private static List<NDArray> perturbedParameters(Block block, Random r) {
    List<NDArray> params = new ArrayList<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      NDArray a = p.getValue().getArray();
      float[] noise = gaussian(r, (int) a.size());
      float[] values = a.toFloatArray();
      for (int i = 0; i < values.length; i++) {
        values[i] += 0.1f * noise[i];
      }
      a.set(values);
      a.setRequiresGradient(true);
      params.add(a);
    }
    return params;
  }

  private static float[] gaussian(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }
}
