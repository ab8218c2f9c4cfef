package dev.jdiffusion.trainer.unet;

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
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The input gradient of a 3x3 convolution, as the UNet computes it in training ({@link Layers#forward}), in
 * closed form: filter f holds the single weight f + 1 at the top-middle tap, so {@code y_f[i][j] =
 * (f + 1) x[i - 1][j]} and, for {@code L = sum_f sum y_f w_f}, {@code dL/dx[i][j] = sum_f (f + 1) w_f[i + 1][j]}
 * (0 on the last row). Batches of 2 images and filter counts that are not multiples of 16 are where
 * libtorch 2.7.1's oneDNN kernels got it wrong on a machine that hides its cache sizes (see
 * {@link FusedOps#conv2d}); this closed form found that defect through the UNet's output convolution.
 */
class ConvolutionGradientTest {

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 16, 20})
  void inputGradientIsTheClosedForm(int filters) {
    int batch = 2;
    int size = 5;
    try (NDManager manager = NDManager.newBaseManager()) {
      Conv2d conv = Layers.conv3x3(filters, 1);
      Shape xs = new Shape(batch, 1, size, size);
      conv.initialize(manager, DataType.FLOAT32, xs);
      float[] kernel = new float[filters * 9];
      for (int f = 0; f < filters; f++) {
        kernel[f * 9 + 1] = f + 1;
      }
      conv.getParameters().get("weight").getArray().set(kernel);
      conv.getParameters().get("bias").getArray().set(new float[filters]);
      Random r = new Random(filters);
      float[] xv = new float[batch * size * size];
      float[] wv = new float[batch * filters * size * size];
      for (int i = 0; i < xv.length; i++) {
        xv[i] = (float) r.nextGaussian();
      }
      for (int i = 0; i < wv.length; i++) {
        wv[i] = (float) r.nextGaussian();
      }
      NDArray x = manager.create(xv, xs);
      x.setRequiresGradient(true);
      NDArray w = manager.create(wv, new Shape(batch, filters, size, size));
      NDArray y;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        y = Layers.forward(conv, new ParameterStore(manager, false), x, true);
        gc.backward(y.mul(w).sum());
      }
      float[] out = y.toFloatArray();
      float[] grad = x.getGradient().toFloatArray();
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < size; i++) {
          for (int j = 0; j < size; j++) {
            double expected = 0;
            for (int f = 0; f < filters; f++) {
              if (i + 1 < size) {
                expected += (f + 1) * wv[((b * filters + f) * size + i + 1) * size + j];
              }
              double y0 = i > 0 ? (f + 1) * xv[(b * size + i - 1) * size + j] : 0;
              assertThat((double) out[((b * filters + f) * size + i) * size + j])
                  .as("output %d/%d at (%d, %d)", b, f, i, j).isCloseTo(y0, org.assertj.core.api.Assertions.within(1e-5));
            }
            assertThat((double) grad[(b * size + i) * size + j])
                .as("%d filters: input gradient of image %d at (%d, %d)", filters, b, i, j)
                .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-4 * (1 + Math.abs(expected))));
          }
        }
      }
      // the same output as the block's own forward
      NDArray plain = conv.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
      assertThat(plain.toFloatArray()).containsExactly(out, org.assertj.core.api.Assertions.within(1e-6f));
    }
  }
}
