package dev.jdiffusion.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.spi.dataset.ImageShape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {
  @Test
  void mapsTheRangeAndLaysOutRowMajor(@TempDir Path dir) throws Exception {
    ImageShape shape = new ImageShape(1, 2, 2);
    float[] px = {-1, -1, -1, -1, 1, 1, 1, 1, 0, 0, 0, 0};
    Path png = dir.resolve("g.png");
    ImageGrid.write(png, px, shape, 3, 2, -1, 1);
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(2 * (2 + 2) + 2);
    assertThat(img.getHeight()).isEqualTo(2 * (2 + 2) + 2);
    assertThat(img.getRGB(2, 2) & 0xff).isEqualTo(0);        // image 0: -1 -> black
    assertThat(img.getRGB(6, 2) & 0xff).isEqualTo(255);      // image 1: +1 -> white
    assertThat(img.getRGB(2, 6) & 0xff).isEqualTo(128);      // image 2, second row: 0 -> mid grey
  }

  @Test
  void rgbChannelsAndBadChannelCounts() {
    ImageShape rgb = new ImageShape(3, 1, 1);
    BufferedImage img = ImageGrid.render(new float[] {1, -1, 1}, rgb, 1, 1, -1, 1);
    assertThat(img.getRGB(2, 2) & 0xffffff).isEqualTo(0xff00ff);
    assertThatThrownBy(() -> ImageGrid.render(new float[4], new ImageShape(4, 1, 1), 1, 1, -1, 1))
        .hasMessageContaining("got 4 channels");
  }
}
