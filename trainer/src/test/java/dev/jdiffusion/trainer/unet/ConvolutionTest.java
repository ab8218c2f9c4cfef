package dev.jdiffusion.trainer.unet;

import static dev.jdiffusion.trainer.Close.toDouble;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.trainer.Close;
import dev.jdiffusion.trainer.Engines;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link FusedOps#conv2d}, the convolution of every network here, against a direct double-precision sum
 * written from the definition: {@code y[b,o,i,j] = bias[o] + sum_{c,u,v} w[o,c,u,v] x[b,c,s i+u-p, s j+v-p]}
 * (zero outside the image), and, for the loss {@code L = sum(y * g)} with a fixed random {@code g}, its
 * gradients {@code dx}, {@code dw}, {@code dbias} by the same sums taken the other way round.
 *
 * <p>The channel counts include those that are not multiples of oneDNN's channel blocks (1, 3, 8, 24, 48):
 * libtorch's NCHW convolution got exactly these wrong on a machine whose hypervisor hides the CPU's cache
 * sizes (input gradients off by O(1), or NaN; see {@link FusedOps#conv2d}), which made training fail at
 * random. The route checked is the one {@code FusedOps} picks for each shape on this machine: libtorch's NCHW
 * convolution where the channel counts are multiples of 32 and its probe ({@link FusedOps#nchwRoute}) found it
 * agreeing with the channels-last route (here 32, 64 and 96 channels), else the channels-last route. Tolerance: {@code |a - b| <= 1e-4 + 1e-4 |b|} per element (float32 sums of
 * at most 432 terms).
 */
class ConvolutionTest {
  private static final double TOL = 1e-4;

  /** {input channels, output channels}: the widths of the networks and of the tests' tiny networks. */
  static final int[][] WIDTHS = {
    {1, 8}, {3, 1}, {8, 3}, {8, 8}, {8, 24}, {24, 8}, {16, 1}, {48, 16}, {32, 32}, {32, 64}, {96, 32},
  };

  @TestFactory
  Stream<DynamicTest> valuesAndGradientsMatchTheDirectSum() {
    Engines.pytorch();
    List<Case> cases = grid(100);
    // a single pixel: channels-last and NCHW coincide (libtorch then takes its NCHW route); one row, one column
    cases.addAll(images(24, 8, new int[][] {{1, 1}, {1, 6}, {6, 1}}, 200));
    // single images, as an export's parity check runs them: im2col below oneDNN's size rule (the first three;
    // FusedOps.passesOverOneDnn), channels-last above it
    cases.add(new Case(1, 32, 64, 16, 16, 3, 1, 1, 300));
    cases.add(new Case(1, 64, 64, 16, 16, 1, 1, 0, 301));
    cases.add(new Case(1, 8, 3, 9, 7, 3, 2, 1, 302));
    cases.add(new Case(1, 32, 32, 32, 32, 3, 2, 1, 303));
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
  }

  /** libtorch's size rule for oneDNN on float32 CPU convolutions, as {@code passesOverOneDnn} restates it. */
  @Test
  void singleSmallImagesAndOneThreadOneByOnesPassOverOneDnn() {
    assertThat(FusedOps.passesOverOneDnn(new Shape(1, 32, 16, 16), new Shape(64, 32, 3, 3), 1, 2)).isTrue();
    assertThat(FusedOps.passesOverOneDnn(new Shape(1, 80, 16, 16), new Shape(64, 80, 3, 3), 1, 2)).isTrue();
    assertThat(FusedOps.passesOverOneDnn(new Shape(1, 81, 16, 16), new Shape(64, 81, 3, 3), 1, 2)).isFalse();
    assertThat(FusedOps.passesOverOneDnn(new Shape(2, 32, 16, 16), new Shape(64, 32, 3, 3), 1, 1)).isFalse();
    assertThat(FusedOps.passesOverOneDnn(new Shape(1, 1, 8, 8), new Shape(8, 1, 5, 5), 1, 1)).isFalse();
    assertThat(FusedOps.passesOverOneDnn(new Shape(8, 64, 16, 16), new Shape(64, 64, 1, 1), 1, 1)).isTrue();
    assertThat(FusedOps.passesOverOneDnn(new Shape(8, 64, 16, 16), new Shape(64, 64, 1, 1), 1, 2)).isFalse();
    assertThat(FusedOps.passesOverOneDnn(new Shape(8, 64, 16, 16), new Shape(64, 64, 1, 1), 2, 1)).isFalse();
    assertThat(FusedOps.passesOverOneDnn(new Shape(16, 64, 16, 16), new Shape(64, 64, 1, 1), 1, 1)).isFalse();
  }

  /** Every pair of {@link #WIDTHS} with 3x3 and 1x1 kernels at strides 1 and 2, on 2 images of 7x6 pixels. */
  static List<Case> grid(long seed) {
    List<Case> cases = new ArrayList<>();
    for (int[] widths : WIDTHS) {
      for (int kernel : new int[] {3, 1}) {
        for (int stride : new int[] {1, 2}) {
          cases.add(new Case(2, widths[0], widths[1], 7, 6, kernel, stride, kernel / 2, seed++));
        }
      }
    }
    return cases;
  }

  /** A 3x3 convolution, {@code in -> out} channels, of 3 images of each {height, width} in {@code sizes}. */
  static List<Case> images(int in, int out, int[][] sizes, long seed) {
    List<Case> cases = new ArrayList<>();
    for (int[] size : sizes) {
      cases.add(new Case(3, in, out, size[0], size[1], 3, 1, 1, seed++));
    }
    return cases;
  }

  /** The block route that the networks call: the parameters of a DJL {@code Conv2d} get the gradients. */
  @Test
  void aConv2dBlockGetsTheGradientsOfTheDirectSum() {
    Engines.pytorch();
    Case c = new Case(2, 8, 3, 6, 6, 3, 1, 1, 7);
    try (NDManager manager = NDManager.newBaseManager()) {
      Conv2d conv = Layers.conv3x3(c.out, 1);
      conv.initialize(manager, DataType.FLOAT32, new Shape(c.batch, c.in, c.height, c.width));
      NDArray weight = conv.getParameters().get("weight").getArray();
      NDArray bias = conv.getParameters().get("bias").getArray();
      bias.set(c.bias);
      weight.set(c.weight);
      weight.setRequiresGradient(true);
      bias.setRequiresGradient(true);
      NDArray x = manager.create(c.x, new Shape(c.batch, c.in, c.height, c.width));
      x.setRequiresGradient(true);
      NDArray g = manager.create(c.g, c.outShape());
      double[] y;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray out = Layers.forward(conv, new ParameterStore(manager, false), x, true);
        y = toDouble(out.toFloatArray());
        gc.backward(out.mul(g).sum());
      }
      assertMatchesDirectSum(new Run(y, toDouble(x.getGradient().toFloatArray()),
          toDouble(weight.getGradient().toFloatArray()), toDouble(bias.getGradient().toFloatArray())), c);
    }
  }

  private static void check(Case c) {
    assertMatchesDirectSum(run(c, Autocast.ComputeType.FP32), c);
  }

  private static void assertMatchesDirectSum(Run r, Case c) {
    Sums s = c.directSums();
    Close.assertClose(r.y, s.y, TOL, TOL, c + ": y");
    Close.assertClose(r.dx, s.dx, TOL, TOL, c + ": dx");
    Close.assertClose(r.dw, s.dw, TOL, TOL, c + ": dw");
    Close.assertClose(r.db, s.db, TOL, TOL, c + ": dbias");
  }

  /** {@link FusedOps#conv2d}'s output for {@code c} and the gradients of {@code sum(y * g)}. */
  record Run(double[] y, double[] dx, double[] dw, double[] db) {}

  /**
   * Runs {@code c} through {@link FusedOps#conv2d} in {@code type}, checking that the output and the gradients
   * are float32 (the parameters are float32 master weights, whatever the arithmetic) and the output's shape.
   */
  static Run run(Case c, Autocast.ComputeType type) {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.create(c.x, new Shape(c.batch, c.in, c.height, c.width));
      NDArray w = manager.create(c.weight, new Shape(c.out, c.in, c.kernel, c.kernel));
      NDArray b = manager.create(c.bias, new Shape(c.out));
      NDArray g = manager.create(c.g, c.outShape());
      for (NDArray a : new NDArray[] {x, w, b}) {
        a.setRequiresGradient(true);
      }
      double[] y;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray out = FusedOps.conv2d(x, w, b, c.stride, c.padding, type);
        assertThat(out.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(out.getShape()).isEqualTo(c.outShape());
        y = toDouble(out.toFloatArray());
        gc.backward(out.mul(g).sum());
      }
      for (NDArray a : new NDArray[] {x, w, b}) {
        assertThat(a.getGradient().getDataType()).isEqualTo(DataType.FLOAT32);
      }
      return new Run(y, toDouble(x.getGradient().toFloatArray()), toDouble(w.getGradient().toFloatArray()),
          toDouble(b.getGradient().toFloatArray()));
    }
  }

  /**
   * The exact values and gradients, and for each element the sum of the absolute values of its terms
   * ({@code sum |w x|}, {@code sum |g w|}, {@code sum |g x|}, {@code sum |g|}), which bounds rounding errors.
   */
  record Sums(double[] y, double[] dx, double[] dw, double[] db, double[] yAbs, double[] dxAbs, double[] dwAbs,
      double[] dbAbs) {}

  /** One convolution problem with random data; arrays in NCHW / OIHW order. */
  static final class Case {
    final int batch, in, out, height, width, kernel, stride, padding, outHeight, outWidth;
    final float[] x, weight, bias, g;

    Case(int batch, int in, int out, int height, int width, int kernel, int stride, int padding, long seed) {
      this.batch = batch;
      this.in = in;
      this.out = out;
      this.height = height;
      this.width = width;
      this.kernel = kernel;
      this.stride = stride;
      this.padding = padding;
      this.outHeight = (height + 2 * padding - kernel) / stride + 1;
      this.outWidth = (width + 2 * padding - kernel) / stride + 1;
      Random r = new Random(seed);
      x = gaussian(r, batch * in * height * width);
      weight = gaussian(r, out * in * kernel * kernel);
      bias = gaussian(r, out);
      g = gaussian(r, batch * out * outHeight * outWidth);
    }

    Shape outShape() {
      return new Shape(batch, out, outHeight, outWidth);
    }

    Sums directSums() {
      double[] y = new double[g.length];
      double[] dx = new double[x.length];
      double[] dw = new double[weight.length];
      double[] db = new double[out];
      double[] ya = new double[g.length];
      double[] dxa = new double[x.length];
      double[] dwa = new double[weight.length];
      double[] dba = new double[out];
      for (int b = 0; b < batch; b++) {
        for (int o = 0; o < out; o++) {
          for (int i = 0; i < outHeight; i++) {
            for (int j = 0; j < outWidth; j++) {
              int yi = ((b * out + o) * outHeight + i) * outWidth + j;
              double sum = bias[o];
              double sumAbs = Math.abs(bias[o]);
              double gy = g[yi];
              db[o] += gy;
              dba[o] += Math.abs(gy);
              for (int c = 0; c < in; c++) {
                for (int u = 0; u < kernel; u++) {
                  int row = stride * i + u - padding;
                  if (row < 0 || row >= height) {
                    continue;
                  }
                  for (int v = 0; v < kernel; v++) {
                    int col = stride * j + v - padding;
                    if (col < 0 || col >= width) {
                      continue;
                    }
                    int xi = ((b * in + c) * height + row) * width + col;
                    int wi = ((o * in + c) * kernel + u) * kernel + v;
                    sum += (double) weight[wi] * x[xi];
                    sumAbs += Math.abs((double) weight[wi] * x[xi]);
                    dx[xi] += gy * weight[wi];
                    dxa[xi] += Math.abs(gy * weight[wi]);
                    dw[wi] += gy * x[xi];
                    dwa[wi] += Math.abs(gy * x[xi]);
                  }
                }
              }
              y[yi] = sum;
              ya[yi] = sumAbs;
            }
          }
        }
      }
      return new Sums(y, dx, dw, db, ya, dxa, dwa, dba);
    }

    private static float[] gaussian(Random r, int n) {
      float[] a = new float[n];
      for (int i = 0; i < n; i++) {
        a[i] = (float) r.nextGaussian();
      }
      return a;
    }

    @Override
    public String toString() {
      return String.format("%dx%dx%dx%d, %d -> %d channels, %dx%d kernel, stride %d, padding %d",
          batch, in, height, width, in, out, kernel, kernel, stride, padding);
    }
  }
}
