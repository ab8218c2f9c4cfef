package dev.jdiffusion.plugins.dataset;

import static dev.jdiffusion.plugins.dataset.Datasets.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IdxDatasetTest {
  @TempDir Path dir;

  private static String yaml(Path images, Path labels, String more) {
    return "{name: idx, images: '" + images + "'" + (labels == null ? "" : ", labels: '" + labels + "'")
        + more + "}";
  }

  @ParameterizedTest(name = "gzip = {0}")
  @ValueSource(booleans = {false, true})
  void readsImagesAndLabelsGzippedOrRaw(boolean gzip) throws IOException {
    Path[] f = IdxFiles.write(dir, "img-idx3-ubyte", "lab-idx1-ubyte", 12, 5, 4, 10, gzip);
    DatasetSource s = open(yaml(f[0], f[1], ""));
    assertThat(s.size()).isEqualTo(12);
    assertThat(s.shape()).isEqualTo(new ImageShape(1, 5, 4));
    float[] image = new float[20];
    for (int i = 0; i < 12; i++) {
      s.read(i, image, 0);
      for (int y = 0; y < 5; y++) {
        for (int x = 0; x < 4; x++) {
          assertThat(image[y * 4 + x]).isEqualTo((float) (IdxFiles.pixel(i, y, x) / 127.5 - 1));
        }
      }
      assertThat(s.label(i)).isEqualTo(i % 10);
    }
  }

  @Test
  void bytesMapOntoMinusOneToOne() throws IOException {
    byte[] data = new byte[] {0, (byte) 255, (byte) 128, 127};
    Path images = dir.resolve("four");
    Files.write(images, IdxFiles.idx(new int[] {1, 2, 2}, data));
    DatasetSource s = open(yaml(images, null, ""));
    float[] p = new float[4];
    s.read(0, p, 0);
    assertThat(p[0]).isEqualTo(-1f);
    assertThat(p[1]).isEqualTo(1f);
    assertThat(p[2]).isEqualTo((float) (128 / 127.5 - 1));
    assertThat(s.label(0)).isEqualTo(-1);
  }

  @Test
  void subsetsArePartOfTheDataAndFollowTheSeed() throws IOException {
    Path[] f = IdxFiles.write(dir, "i", "l", 30, 3, 3, 7, true); // pixel (i, 0, 0) = 7 i < 256
    DatasetSource a = open(yaml(f[0], f[1], ", subset: 10, seed: 1"));
    DatasetSource b = open(yaml(f[0], f[1], ", subset: 10, seed: 1"));
    DatasetSource c = open(yaml(f[0], f[1], ", subset: 10, seed: 2"));
    assertThat(a.size()).isEqualTo(10);
    assertThat(Datasets.pixels(a)).isEqualTo(Datasets.pixels(b)).isNotEqualTo(Datasets.pixels(c));
    float[] first = new float[9];
    for (int i = 0; i < 10; i++) {
      a.read(i, first, 0);
      int index = (int) Math.round((first[0] + 1) * 127.5) / 7;
      assertThat(a.label(i)).isEqualTo(index % 7);
    }
    assertThatThrownBy(() -> open(yaml(f[0], f[1], ", subset: 31")))
        .hasMessageContaining("subset = 31")
        .hasMessageContaining("at most the 30 images of " + f[0]);
  }

  @Test
  void padsTo32() throws IOException {
    Path[] f = IdxFiles.write(dir, "i", "l", 2, 28, 28, 10, false);
    DatasetSource s = open(yaml(f[0], f[1], ", padding: 2"));
    assertThat(s.shape()).isEqualTo(new ImageShape(1, 32, 32));
    float[] p = new float[32 * 32];
    s.read(1, p, 0);
    assertThat(p[0]).isEqualTo(-1f);
    assertThat(p[2 * 32 + 2]).isEqualTo((float) (IdxFiles.pixel(1, 0, 0) / 127.5 - 1));
    assertThat(p[29 * 32 + 29]).isEqualTo((float) (IdxFiles.pixel(1, 27, 27) / 127.5 - 1));
    assertThat(p[31 * 32 + 31]).isEqualTo(-1f);
  }

  // ---- bad input: one test per case, each message names the file, the expectation and the finding

  @Test
  void truncatedRawImageFile() throws IOException {
    Path[] f = IdxFiles.write(dir, "i", "l", 10, 4, 4, 10, false);
    byte[] all = Files.readAllBytes(f[0]);
    Files.write(f[0], Arrays.copyOf(all, all.length - 5));
    assertThatThrownBy(() -> open(yaml(f[0], f[1], "")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(f[0].toString())
        .hasMessageContaining("expected 10 images of 4x4 (160 bytes after the 16-byte header)")
        .hasMessageContaining("found only 155 bytes");
  }

  @Test
  void truncatedGzipImageFile() throws IOException {
    Path[] f = IdxFiles.write(dir, "i", "l", 200, 16, 16, 10, true);
    byte[] all = Files.readAllBytes(f[0]);
    Files.write(f[0], Arrays.copyOf(all, all.length / 2));
    assertThatThrownBy(() -> open(yaml(f[0], f[1], "")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(f[0].toString())
        .hasMessageContaining("expected 200 images of 16x16 (51200 bytes after the 16-byte header)")
        .hasMessageContaining("the file is truncated");
  }

  @Test
  void extraBytesAfterTheDeclaredImages() throws IOException {
    Path images = dir.resolve("i");
    Files.write(images, IdxFiles.idx(new int[] {2, 2, 2}, new byte[9]));
    assertThatThrownBy(() -> open(yaml(images, null, "")))
        .hasMessageContaining(images.toString())
        .hasMessageContaining("expected the end of the data after 2 images of 2x2")
        .hasMessageContaining("found more bytes");
  }

  @Test
  void wrongMagicNumber() throws IOException {
    Path[] f = IdxFiles.write(dir, "i", "l", 3, 2, 2, 10, true);
    // a label file where the images should be
    assertThatThrownBy(() -> open(yaml(f[1], null, "")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(f[1].toString())
        .hasMessageContaining("expected the IDX magic number 0x00000803 of images (idx3-ubyte)")
        .hasMessageContaining("found 0x00000801 (unsigned byte elements, 1 dimensions)");
    Path png = dir.resolve("not-idx.png");
    Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
    assertThatThrownBy(() -> open(yaml(png, null, "")))
        .hasMessageContaining("found 0x89504e47 (not an IDX file)");
  }

  @Test
  void imageAndLabelCountsDiffer() throws IOException {
    Path[] f = IdxFiles.write(dir, "i", "l", 5, 2, 2, 10, false);
    Path labels = dir.resolve("four-labels");
    Files.write(labels, IdxFiles.idx(new int[] {4}, IdxFiles.labels(4, 10)));
    assertThatThrownBy(() -> open(yaml(f[0], labels, "")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(labels.toString())
        .hasMessageContaining("expected 5 labels, one per image of " + f[0])
        .hasMessageContaining("found 4 labels");
  }

  @Test
  void missingFile() {
    Path images = dir.resolve("nowhere-idx3-ubyte.gz");
    assertThatThrownBy(() -> open(yaml(images, null, "")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(images + ": expected a file, found nothing (no such file)");
  }

  @Test
  void emptyFile() throws IOException {
    Path images = dir.resolve("empty");
    Files.write(images, new byte[0]);
    assertThatThrownBy(() -> open(yaml(images, null, "")))
        .hasMessage(images + ": expected a 4-byte IDX magic number, found only 0 bytes");
  }
}
