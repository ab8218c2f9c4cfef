package dev.jdiffusion.exporter.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One quantized convolution in ONNX Runtime against the float64 convolution computed here, element by
 * element, within the bound that the quantization steps give: with input step {@code sx}, weight steps
 * {@code sw[c]} (per output channel), bias step {@code sx * sw[c]} and output step {@code sy},
 * <pre>
 * |y_int8 - y| <= sy/2 + (sx/2) sum|w| + (sw[c]/2) sum(|x| + sx/2) + sx sw[c] / 2
 * </pre>
 * (rounding of the output, of the input, of the weights and of the bias; {@code |x_hat| <= |x| + sx/2}),
 * the sums over the kernel's window, plus 1e-5 for float32 arithmetic. The steps are computed here from the
 * definitions (range / 255 over the calibrated range widened to hold 0; {@code max|w[c]| / 127}), not read
 * from the quantized model. The convolution reads {@code x sigmoid(x)} (SiLU, as in the UNet: a range
 * across 0, so a zero point that is not 0), its output channels have weights of very different sizes (so one
 * scale for all would break the bound), and ONNX Runtime must run it as one {@code QLinearConv}.
 */
class SingleConvolutionTest {
  static final int N = 3;
  static final int CIN = 8;
  static final int COUT = 6;
  static final int SIZE = 8;

  @ParameterizedTest(name = "{0}x{0} kernel, stride {1}, padding {2}")
  @CsvSource({"3, 1, 1", "3, 2, 1", "1, 1, 0"})
  void staysWithinTheBoundOfItsQuantizationSteps(int k, int stride, int pad) throws Exception {
    Random r = new Random(31L * k + stride);
    float[] w = new float[COUT * CIN * k * k];
    for (int c = 0; c < COUT; c++) {
      double size = Math.pow(4, c - 2); // 1/16 .. 64
      for (int i = 0; i < CIN * k * k; i++) {
        w[c * CIN * k * k + i] = (float) (size * r.nextGaussian());
      }
    }
    float[] b = new float[COUT];
    for (int c = 0; c < COUT; c++) {
      b[c] = (float) r.nextGaussian();
    }
    OnnxGraphBuilder g = new OnnxGraphBuilder("one_conv");
    g.input("x", TensorProto.DataType.FLOAT, -1, CIN, SIZE, SIZE);
    g.input("t", TensorProto.DataType.INT64, -1);
    int out = (SIZE + 2 * pad - k) / stride + 1;
    g.output("y", TensorProto.DataType.FLOAT, -1, COUT, out, out);
    String silu = g.node("Mul", new String[] {"x", g.node("Sigmoid", new String[] {"x"})});
    String conv = g.node("Conv", new String[] {silu, g.floats("weight", w, COUT, CIN, k, k), g.floats("bias", b, COUT)},
        "kernel_shape", new long[] {k, k}, "strides", new long[] {stride, stride}, "pads", new long[] {pad, pad, pad, pad});
    g.nodeInto("Identity", new String[] {conv}, "y");
    ModelProto fp32 = g.build("test");

    float[] x = new float[N * CIN * SIZE * SIZE];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (3 * r.nextGaussian());
    }
    ModelInputs in = new ModelInputs(x, new long[N], new ImageShape(CIN, SIZE, SIZE));

    // float64 reference: the SiLU input, the convolution, their ranges
    double[] s = new double[x.length];
    double sMin = Double.POSITIVE_INFINITY;
    double sMax = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < x.length; i++) {
      s[i] = x[i] / (1 + Math.exp(-x[i]));
      sMin = Math.min(sMin, s[i]);
      sMax = Math.max(sMax, s[i]);
    }
    double[] y = new double[N * COUT * out * out];
    double[] sumAbsW = new double[y.length];
    double[] sumAbsX = new double[y.length];
    int[] terms = new int[y.length];
    for (int n = 0; n < N; n++) {
      for (int c = 0; c < COUT; c++) {
        for (int i = 0; i < out; i++) {
          for (int j = 0; j < out; j++) {
            int o = ((n * COUT + c) * out + i) * out + j;
            double acc = b[c];
            for (int ci = 0; ci < CIN; ci++) {
              for (int u = 0; u < k; u++) {
                for (int v = 0; v < k; v++) {
                  int row = i * stride - pad + u;
                  int col = j * stride - pad + v;
                  if (row >= 0 && row < SIZE && col >= 0 && col < SIZE) {
                    double wv = w[((c * CIN + ci) * k + u) * k + v];
                    double xv = s[((n * CIN + ci) * SIZE + row) * SIZE + col];
                    acc += wv * xv;
                    sumAbsW[o] += Math.abs(wv);
                    sumAbsX[o] += Math.abs(xv);
                    terms[o]++;
                  }
                }
              }
            }
            y[o] = acc;
          }
        }
      }
    }
    double yMin = java.util.Arrays.stream(y).min().orElseThrow();
    double yMax = java.util.Arrays.stream(y).max().orElseThrow();

    Map<String, ActivationRange> ranges = Int8Quantizer.calibrate(fp32, in);
    assertThat(ranges).containsOnlyKeys(silu, conv);
    assertThat(ranges.get(silu).min()).isCloseTo(sMin, within(1e-5));
    assertThat(ranges.get(silu).max()).isCloseTo(sMax, within(1e-5));
    assertThat(ranges.get(conv).min()).isCloseTo(yMin, within(1e-4 * (1 + Math.abs(yMin))));
    assertThat(ranges.get(conv).max()).isCloseTo(yMax, within(1e-4 * (1 + Math.abs(yMax))));

    ModelProto int8 = QdqRewrite.rewrite(fp32, ranges, Map.of());
    assertThat(Int8Quantizer.optimizedOperators(int8))
        .containsEntry("com.microsoft:QLinearConv", 1).doesNotContainKey("ai.onnx:Conv");
    float[] got = Int8Quantizer.run(int8, "y", in);

    double sx = (sMax - Math.min(0, sMin)) / 255;
    double sy = (Math.max(0, yMax) - Math.min(0, yMin)) / 255;
    // the uint8 parameters in the model: scale = range / 255, zero point = round(-min / scale)
    assertQuantizer(int8, silu, sx, Math.round(-Math.min(0, sMin) / sx));
    assertQuantizer(int8, conv + "_float", sy, Math.round(-Math.min(0, yMin) / sy));
    double worst = 0;
    double largest = 0;
    for (int n = 0; n < N; n++) {
      for (int c = 0; c < COUT; c++) {
        double maxW = 0;
        for (int i = 0; i < CIN * k * k; i++) {
          maxW = Math.max(maxW, Math.abs(w[c * CIN * k * k + i]));
        }
        double sw = maxW / 127;
        for (int p = 0; p < out * out; p++) {
          int o = (n * COUT + c) * out * out + p;
          double bound = sy / 2 + sx / 2 * sumAbsW[o] + sw / 2 * (sumAbsX[o] + terms[o] * sx / 2) + sx * sw / 2 + 1e-5;
          double err = Math.abs(got[o] - y[o]);
          assertThat(err).as("output %d (channel %d): |int8 - float64| against the bound", o, c).isLessThanOrEqualTo(bound);
          worst = Math.max(worst, err / bound);
          largest = Math.max(largest, err);
        }
      }
    }
    System.out.printf("conv %dx%d stride %d: largest error %.3g = %.2f of the output step; worst error/bound %.2f%n",
        k, k, stride, largest, largest / sy, worst);
    assertThat(largest).as("the int8 path ran (errors of about a step, not float32 rounding)").isGreaterThan(sy / 4);
  }

  /** The QuantizeLinear that reads {@code tensor} has this scale (to 1e-5 relative) and zero point. */
  private static void assertQuantizer(ModelProto model, String tensor, double scale, long zeroPoint) {
    Map<String, TensorProto> inits = new java.util.HashMap<>();
    model.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
    NodeProto q = model.getGraph().getNodeList().stream()
        .filter(n -> n.getOpType().equals("QuantizeLinear") && n.getInput(0).equals(tensor)).findFirst().orElseThrow();
    float s = java.nio.ByteBuffer.wrap(inits.get(q.getInput(1)).getRawData().toByteArray())
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat();
    assertThat((double) s).as("scale of %s", tensor).isCloseTo(scale, within(1e-5 * scale));
    TensorProto zp = inits.get(q.getInput(2));
    assertThat(zp.getDataType()).isEqualTo(TensorProto.DataType.UINT8.getNumber());
    assertThat(zp.getRawData().byteAt(0) & 0xff).as("zero point of %s", tensor).isEqualTo((int) zeroPoint);
  }
}
