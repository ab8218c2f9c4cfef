package dev.jdiffusion.sampling.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.dataset.ImageShape;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Resize, channel and range conversions against closed forms (float32 results, tolerance 1e-5). */
class ImageTensorsTest {

  /**
   * Half-pixel bilinear resampling of a ramp {@code f(x) = x} returns, at output column {@code j}, the
   * source coordinate {@code (j + 0.5) * w / W - 0.5} clamped to {@code [0, w - 1]}: interpolation is exact
   * on linear functions, and the clamp is the edge rule of {@code align_corners=False}.
   */
  @Property(tries = 40)
  void resamplesARampExactly(@ForAll @IntRange(min = 1, max = 20) int w, @ForAll @IntRange(min = 1, max = 40) int outW,
      @ForAll @IntRange(min = 1, max = 5) int h, @ForAll @IntRange(min = 1, max = 5) int outH) {
    float[] ramp = new float[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        ramp[y * w + x] = x;
      }
    }
    float[] out = ImageTensors.resize(ramp, 1, new ImageShape(1, h, w), outH, outW);
    for (int y = 0; y < outH; y++) {
      for (int j = 0; j < outW; j++) {
        double src = Math.min(w - 1, Math.max(0, (j + 0.5) * w / outW - 0.5));
        assertThat(out[y * outW + j]).as("(%d, %d)", y, j).isCloseTo((float) src, within(1e-4f));
      }
    }
  }

  @Test
  void halvingAveragesTwoByTwoBlocks() {
    float[] x = {1, 3, 5, 7, 2, 4, 6, 8, 0, 0, 1, 1, 0, 0, 1, 1};
    float[] out = ImageTensors.resize(x, 1, new ImageShape(1, 4, 4), 2, 2);
    assertThat(out).containsExactly(new float[] {2.5f, 6.5f, 0f, 1f}, within(1e-6f));
  }

  @Test
  void convertsChannelsAndRanges() {
    float[] rgb = {1, -1, -1, 1, 0.5f, 0.5f};    // one 1x2 image: R plane, G plane, B plane
    float[] gray = ImageTensors.channels(rgb, 1, new ImageShape(3, 1, 2), 1);
    assertThat(gray).containsExactly(new float[] {0.299f - 0.587f + 0.057f, -0.299f + 0.587f + 0.057f}, within(1e-6f));
    assertThat(ImageTensors.channels(gray, 1, new ImageShape(1, 1, 2), 3))
        .containsExactly(gray[0], gray[1], gray[0], gray[1], gray[0], gray[1]);
    assertThat(ImageTensors.pixelRange(new float[] {-1, 0, 1}, 0, 1)).containsExactly(0f, 0.5f, 1f);
    assertThat(ImageTensors.pixelRange(new float[] {-1, 1}, 0, 255)).containsExactly(0f, 255f);
    assertThatThrownBy(() -> ImageTensors.channels(new float[8], 1, new ImageShape(2, 2, 2), 3))
        .hasMessage("cannot convert images with 2 channels to 3 (only 1 <-> 3)");
  }
}
