package dev.jdiffusion.plugins.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.spi.dataset.ImageShape;
import org.junit.jupiter.api.Test;

class ByteImagesTest {

  @Test
  void imagesSpreadOverChunksReadBackInOrder() {
    ImageShape shape = new ImageShape(1, 2, 2);
    ByteImages data = ByteImages.allocate(shape, 10, null, 12); // 3 images per chunk, 4 chunks
    for (int i = 0; i < 10; i++) {
      data.set(i, new byte[] {(byte) (10 * i), (byte) (10 * i + 1), (byte) (10 * i + 2), (byte) (10 * i + 3)});
    }
    assertThat(data.chunk(2)).isSameAs(data.chunk(0)).isNotSameAs(data.chunk(3));
    assertThat(data.chunk(9).length).isEqualTo(4);
    ByteImageSource source = new ByteImageSource(data, null, 1, false);
    float[] p = new float[16];
    for (int i = 0; i < 10; i++) {
      assertThat(data.pixel(i, 3)).isEqualTo(10 * i + 3);
      source.read(i, p, 0);
      assertThat(p[5]).isEqualTo((float) (10 * i / 127.5 - 1)); // (1, 1) of the padded 4x4 image
      assertThat(p[10]).isEqualTo((float) ((10 * i + 3) / 127.5 - 1));
      assertThat(p[0]).isEqualTo(-1f);
    }
  }
}
