package dev.jdiffusion.plugins.dataset;

import static dev.jdiffusion.plugins.dataset.Datasets.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {
  @TempDir Path tmp;

  private String yaml(Path dir, String more) {
    return "{name: image-folder, dir: '" + dir + "', cacheDir: '" + tmp.resolve("cache") + "'" + more + "}";
  }

  /** r, g, b of pixel (x, y) of test image {@code i}. */
  static int[] colour(int i, int x, int y) {
    return new int[] {(40 * i + 9 * x) & 0xff, (100 + 7 * y) & 0xff, (13 * i + x + y) & 0xff};
  }

  static BufferedImage rgb(int i, int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int[] c = colour(i, x, y);
        img.setRGB(x, y, (c[0] << 16) | (c[1] << 8) | c[2]);
      }
    }
    return img;
  }

  static void write(BufferedImage img, Path file) throws IOException {
    Files.createDirectories(file.getParent());
    String format = file.toString().endsWith(".png") ? "png" : "jpeg";
    assertThat(ImageIO.write(img, format, file.toFile())).isTrue();
  }

  private static float scaled(int b) {
    return (float) (b / 127.5 - 1);
  }

  @Test
  void readsPngFilesInPathOrderExactlyWhenNoResizeIsNeeded() throws IOException {
    Path dir = tmp.resolve("png");
    for (int i = 0; i < 3; i++) {
      write(rgb(i, 8, 8), dir.resolve("sub").resolve("img" + i + ".png"));
    }
    Files.writeString(dir.resolve("notes.txt"), "not an image");
    DatasetSource s = open(yaml(dir, ", size: 8"));
    assertThat(s.size()).isEqualTo(3);
    assertThat(s.shape()).isEqualTo(new ImageShape(3, 8, 8));
    float[] p = new float[3 * 64];
    for (int i = 0; i < 3; i++) {
      s.read(i, p, 0);
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          int[] c = colour(i, x, y);
          for (int ch = 0; ch < 3; ch++) {
            assertThat(p[ch * 64 + y * 8 + x]).isEqualTo(scaled(c[ch]));
          }
        }
      }
      assertThat(s.label(i)).isEqualTo(-1);
    }
  }

  @Test
  void readsJpegFilesWithinCompressionError() throws IOException {
    Path dir = tmp.resolve("jpeg");
    BufferedImage flat = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        flat.setRGB(x, y, (200 << 16) | (60 << 8) | 120);
      }
    }
    write(flat, dir.resolve("a.jpg"));
    write(flat, dir.resolve("b.JPEG"));
    DatasetSource s = open(yaml(dir, ", size: 16"));
    assertThat(s.size()).isEqualTo(2);
    float[] p = new float[3 * 256];
    s.read(1, p, 0);
    assertThat((double) p[5]).isCloseTo(scaled(200), within(4 / 127.5));
    assertThat((double) p[256 + 5]).isCloseTo(scaled(60), within(4 / 127.5));
    assertThat((double) p[512 + 5]).isCloseTo(scaled(120), within(4 / 127.5));
  }

  @Test
  void grayscaleFromGrayFilesExactlyAndFromColourByLuma() throws IOException {
    Path dir = tmp.resolve("gray");
    BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        gray.getRaster().setSample(x, y, 0, 16 * y + 3 * x);
      }
    }
    write(gray, dir.resolve("0-gray.png"));
    write(rgb(2, 4, 4), dir.resolve("1-colour.png"));
    DatasetSource s = open(yaml(dir, ", size: 4, channels: 1"));
    assertThat(s.shape()).isEqualTo(new ImageShape(1, 4, 4));
    float[] p = new float[16];
    s.read(0, p, 0);
    assertThat(p[2 * 4 + 3]).isEqualTo(scaled(16 * 2 + 3 * 3));
    s.read(1, p, 0);
    int[] c = colour(2, 1, 3);
    assertThat(p[3 * 4 + 1]).isEqualTo(scaled((int) Math.round((299.0 * c[0] + 587.0 * c[1] + 114.0 * c[2]) / 1000)));
  }

  @Test
  void celebaStyleCenterCropThenResize() throws IOException {
    // 178x218 like aligned CelebA: the crop keeps rows 20..197, which are green; the rest is red
    BufferedImage img = new BufferedImage(178, 218, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 218; y++) {
      for (int x = 0; x < 178; x++) {
        img.setRGB(x, y, y >= 20 && y < 198 ? 0x00ff00 : 0xff0000);
      }
    }
    write(img, tmp.resolve("celeba").resolve("000001.png"));
    for (String filter : List.of("nearest", "box", "bilinear", "bicubic", "lanczos")) {
      DatasetSource s = open(yaml(tmp.resolve("celeba"), ", crop: 178, size: 64, filter: " + filter));
      assertThat(s.shape()).isEqualTo(new ImageShape(3, 64, 64));
      float[] p = new float[3 * 64 * 64];
      s.read(0, p, 0);
      for (int k = 0; k < 64 * 64; k++) {
        assertThat(p[k]).as(filter).isEqualTo(-1f);
        assertThat(p[4096 + k]).as(filter).isEqualTo(1f);
      }
    }
  }

  @Test
  void filtersWeighAsStated() {
    // one row of 4 values shrunk to 2: box averages pairs; bilinear (tent widened 2x) weighs the pixel
    // centres at distances 0.25, 0.25 and 0.75 by 0.75, 0.75 and 0.25; nearest takes pixels 1 and 3
    double[] row = {0, 40, 100, 200};
    double[] planes = new double[4];
    System.arraycopy(row, 0, planes, 0, 4);
    byte[] box = Resampler.resize(planes, 1, 4, 1, 2, 1, Resampler.Filter.BOX);
    byte[] tent = Resampler.resize(planes, 1, 4, 1, 2, 1, Resampler.Filter.BILINEAR);
    byte[] nearest = Resampler.resize(planes, 1, 4, 1, 2, 1, Resampler.Filter.NEAREST);
    assertThat(box[0] & 0xff).isEqualTo(20);
    assertThat(box[1] & 0xff).isEqualTo(150);
    assertThat(tent[0] & 0xff).isEqualTo((int) Math.round((0.75 * 0 + 0.75 * 40 + 0.25 * 100) / 1.75));
    assertThat(tent[1] & 0xff).isEqualTo((int) Math.round((0.25 * 40 + 0.75 * 100 + 0.75 * 200) / 1.75));
    assertThat(nearest[0] & 0xff).isEqualTo(40);
    assertThat(nearest[1] & 0xff).isEqualTo(200);
  }

  @Test
  void labelsFromFirstLevelFoldersAndSubsets() throws IOException {
    Path dir = tmp.resolve("classes");
    write(rgb(0, 4, 4), dir.resolve("cats").resolve("a.png"));
    write(rgb(1, 4, 4), dir.resolve("cats").resolve("b.png"));
    write(rgb(2, 4, 4), dir.resolve("dogs").resolve("deep").resolve("c.png"));
    DatasetSource s = open(yaml(dir, ", size: 4, labels: true"));
    assertThat(List.of(s.label(0), s.label(1), s.label(2))).containsExactly(0, 0, 1);
    DatasetSource two = open(yaml(dir, ", size: 4, labels: true, subset: 2, seed: 3"));
    assertThat(two.size()).isEqualTo(2);
    write(rgb(3, 4, 4), dir.resolve("stray.png"));
    assertThatThrownBy(() -> open(yaml(dir, ", size: 4, labels: true")))
        .hasMessage(dir.resolve("stray.png") + ": expected an image inside a first-level subdirectory (its class; "
            + "labels: true), found one directly in " + dir);
  }

  @Test
  void theSecondOpenComesFromTheCacheAndABrokenCacheIsRebuilt() throws IOException {
    Path dir = tmp.resolve("png");
    for (int i = 0; i < 4; i++) {
      write(rgb(i, 20, 12), dir.resolve(i + ".png"));
    }
    float[] first = Datasets.pixels(open(yaml(dir, ", size: 8, filter: bicubic")));
    List<Path> cached;
    try (Stream<Path> files = Files.list(tmp.resolve("cache"))) {
      cached = files.toList();
    }
    assertThat(cached).hasSize(1).allSatisfy(p -> assertThat(p.toString()).endsWith(".jdds"));
    assertThat(Files.size(cached.get(0))).isEqualTo(25 + 4 * 3 * 8 * 8);
    assertThat(Datasets.pixels(open(yaml(dir, ", size: 8, filter: bicubic")))).isEqualTo(first);
    Files.write(cached.get(0), new byte[] {1, 2, 3});
    assertThat(Datasets.pixels(open(yaml(dir, ", size: 8, filter: bicubic")))).isEqualTo(first);
    assertThat(Files.size(cached.get(0))).isEqualTo(25 + 4 * 3 * 8 * 8);
    // other options, another cache entry
    assertThat(Datasets.pixels(open(yaml(dir, ", size: 8, filter: box")))).isNotEqualTo(first);
  }

  // ---- bad input

  @Test
  void unreadableImage() throws IOException {
    Path dir = tmp.resolve("bad");
    write(rgb(0, 4, 4), dir.resolve("good.png"));
    Path broken = dir.resolve("broken.png");
    Files.write(broken, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0});
    assertThatThrownBy(() -> open(yaml(dir, ", size: 4")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageStartingWith(broken + ": expected a readable PNG or JPEG image, found data javax.imageio cannot decode");
    Path text = dir.resolve("text.jpg");
    Files.delete(broken);
    Files.writeString(text, "hello");
    assertThatThrownBy(() -> open(yaml(dir, ", size: 4")))
        .hasMessage(text + ": expected a PNG or JPEG image, found a format javax.imageio does not recognise");
  }

  @Test
  void emptyFolder() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> open(yaml(dir, "")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(dir + ": expected PNG or JPEG files (.png, .jpg, .jpeg) in the directory tree, found an empty tree");
    Files.writeString(dir.resolve("readme.md"), "#");
    assertThatThrownBy(() -> open(yaml(dir, "")))
        .hasMessageEndingWith("found only 1 other files");
  }

  @Test
  void missingDirectory() {
    Path dir = tmp.resolve("absent");
    assertThatThrownBy(() -> open(yaml(dir, "")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(dir + ": expected a directory of PNG/JPEG images, found no such directory");
  }

  @Test
  void imageSmallerThanTheCrop() throws IOException {
    Path dir = tmp.resolve("small");
    write(rgb(0, 100, 120), dir.resolve("x.png"));
    assertThatThrownBy(() -> open(yaml(dir, ", crop: 178")))
        .hasMessage(dir.resolve("x.png") + ": expected an image of at least 178x178 for the center crop (crop: 178), "
            + "found one of 100x120 (width x height)");
  }

  @Test
  void unknownFilterNamesTheChoices() {
    assertThatThrownBy(() -> open(yaml(tmp, ", filter: cubic")))
        .hasMessageContaining("filter")
        .hasMessageContaining("one of nearest, box, bilinear, bicubic, lanczos");
  }
}
