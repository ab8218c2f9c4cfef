package dev.jdiffusion.plugins.dataset;

import static dev.jdiffusion.plugins.dataset.Datasets.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.plugins.dataset.Cifar10Dataset.Layout;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10DatasetTest {
  /** Two training batches and one test batch of three records each. */
  private static final Layout SMALL = new Layout(List.of("data_batch_1.bin", "data_batch_2.bin"), List.of("test_batch.bin"), 3);

  @TempDir Path tmp;

  static int pixel(int image, int c, int y, int x) {
    return (5 * image + 11 * c + 3 * y + x) & 0xff;
  }

  /** {@code records} CIFAR records for images {@code first..}: label image % 10, then R, G, B planes. */
  static byte[] batch(int first, int records) {
    byte[] out = new byte[records * Cifar10Dataset.RECORD_BYTES];
    for (int r = 0; r < records; r++) {
      int image = first + r;
      int at = r * Cifar10Dataset.RECORD_BYTES;
      out[at] = (byte) (image % 10);
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 32; y++) {
          for (int x = 0; x < 32; x++) {
            out[at + 1 + c * 1024 + y * 32 + x] = (byte) pixel(image, c, y, x);
          }
        }
      }
    }
    return out;
  }

  private static Map<String, byte[]> smallFiles() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("batches.meta.txt", "airplane\nautomobile\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    files.put("data_batch_1.bin", batch(0, 3));
    files.put("data_batch_2.bin", batch(3, 3));
    files.put("test_batch.bin", batch(100, 3));
    return files;
  }

  private static Path writeDir(Path dir, Map<String, byte[]> files) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Files.write(dir.resolve(f.getKey()), f.getValue());
    }
    return dir;
  }

  /** A tar.gz laid out like the official archive: every file under cifar-10-batches-bin/. */
  static byte[] tarGz(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(bytes);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      TarArchiveEntry dir = new TarArchiveEntry("cifar-10-batches-bin/");
      tar.putArchiveEntry(dir);
      tar.closeArchiveEntry();
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry("cifar-10-batches-bin/" + f.getKey());
        e.setSize(f.getValue().length);
        tar.putArchiveEntry(e);
        tar.write(f.getValue());
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static void assertImages(ByteImages data, int... images) {
    assertThat(data.count()).isEqualTo(images.length);
    assertThat(data.shape()).isEqualTo(new ImageShape(3, 32, 32));
    for (int i = 0; i < images.length; i++) {
      assertThat(data.labels()[i]).isEqualTo(images[i] % 10);
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 32; y += 7) {
          for (int x = 0; x < 32; x += 5) {
            assertThat(data.pixel(i, c * 1024 + y * 32 + x)).isEqualTo(pixel(images[i], c, y, x));
          }
        }
      }
    }
  }

  @Test
  void readsBatchesFromADirectory() throws IOException {
    Path dir = writeDir(tmp.resolve("bin"), smallFiles());
    assertImages(Cifar10Dataset.readDirectory(dir, SMALL, "train"), 0, 1, 2, 3, 4, 5);
    assertImages(Cifar10Dataset.readDirectory(dir, SMALL, "test"), 100, 101, 102);
  }

  @Test
  void readsTheSameFromTheTarGzArchive() throws IOException {
    Path archive = tmp.resolve("cifar-10-binary.tar.gz");
    Files.write(archive, tarGz(smallFiles()));
    assertImages(Cifar10Dataset.readArchive(archive, SMALL, "train"), 0, 1, 2, 3, 4, 5);
    assertImages(Cifar10Dataset.readArchive(archive, SMALL, "test"), 100, 101, 102);
  }

  @Test
  void servesScaledChannelsFirstPixels() throws IOException {
    Path dir = writeDir(tmp.resolve("bin"), smallFiles());
    DatasetSource s = new Preprocessing(0, 0, true, 0).apply(Cifar10Dataset.readDirectory(dir, SMALL, "train"), "x");
    float[] image = new float[3 * 32 * 32];
    s.read(4, image, 0);
    assertThat(image[2 * 1024 + 31 * 32 + 30]).isEqualTo((float) (pixel(4, 2, 31, 30) / 127.5 - 1));
    assertThat(s.randomHorizontalFlip()).isTrue();
  }

  // ---- bad input

  @Test
  void truncatedBatchFile() throws IOException {
    Path dir = tmp.resolve("bin");
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String n : Cifar10Dataset.OFFICIAL.train()) {
      files.put(n, batch(0, 3));
    }
    writeDir(dir, files);
    assertThatThrownBy(() -> open("{name: cifar10, dir: '" + dir + "'}"))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(dir.resolve("data_batch_1.bin") + ": expected 10000 records of 3073 bytes (1 label + 3072 "
            + "pixels) = 30730000 bytes, found 9219 bytes");
  }

  @Test
  void missingBatchFile() throws IOException {
    Path dir = writeDir(tmp.resolve("bin"), Map.of("data_batch_1.bin", batch(0, 3), "test_batch.bin", batch(0, 3)));
    assertThatThrownBy(() -> open("{name: cifar10, dir: '" + dir + "'}"))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(dir + ": expected data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, "
            + "data_batch_4.bin, data_batch_5.bin, found no data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, "
            + "data_batch_5.bin (present: data_batch_1.bin, test_batch.bin)");
  }

  @Test
  void emptyDirectory() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> open("{name: cifar10, split: test, dir: '" + dir + "'}"))
        .hasMessage(dir + ": expected test_batch.bin, found no test_batch.bin (present: nothing, the directory is empty)");
  }

  @Test
  void labelOutOfRange() throws IOException {
    Map<String, byte[]> files = smallFiles();
    files.get("data_batch_2.bin")[Cifar10Dataset.RECORD_BYTES] = 12;
    Path dir = writeDir(tmp.resolve("bin"), files);
    assertThatThrownBy(() -> Cifar10Dataset.readDirectory(dir, SMALL, "train"))
        .hasMessage(dir.resolve("data_batch_2.bin") + ": expected labels 0..9 (one byte before each 3072-byte image), "
            + "found label 12 in record 1 (byte offset 3073)");
  }

  @Test
  void truncatedArchive() throws IOException {
    byte[] whole = tarGz(smallFiles());
    Path archive = tmp.resolve("cut.tar.gz");
    Files.write(archive, Arrays.copyOf(whole, whole.length * 2 / 3));
    assertThatThrownBy(() -> Cifar10Dataset.readArchive(archive, SMALL, "train"))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(archive.toString())
        .hasMessageContaining("truncated");
  }

  @Test
  void archiveWithoutTheBatches() throws IOException {
    Map<String, byte[]> files = smallFiles();
    files.remove("test_batch.bin");
    Path archive = tmp.resolve("partial.tar.gz");
    Files.write(archive, tarGz(files));
    assertThatThrownBy(() -> Cifar10Dataset.readArchive(archive, SMALL, "test"))
        .hasMessage(archive + ": expected members test_batch.bin, found no test_batch.bin among 4 members: "
            + "cifar-10-batches-bin/, cifar-10-batches-bin/batches.meta.txt, cifar-10-batches-bin/data_batch_1.bin, "
            + "cifar-10-batches-bin/data_batch_2.bin");
  }

  @Test
  void notATarArchive() throws IOException {
    Path archive = tmp.resolve("noise.tar.gz");
    byte[] noise = new byte[4096];
    new java.util.Random(1).nextBytes(noise);
    Files.write(archive, IdxFiles.gzip(noise));
    assertThatThrownBy(() -> Cifar10Dataset.readArchive(archive, SMALL, "train"))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageStartingWith(archive + ": expected a tar archive (gzipped or not), found unreadable data");
  }

  @Test
  void downloadsAreCheckedAgainstTheOfficialMd5() throws IOException {
    Path site = tmp.resolve("site.tar.gz");
    Files.write(site, tarGz(smallFiles()));
    Path cache = tmp.resolve("cache");
    assertThatThrownBy(() -> open("{name: cifar10, cacheDir: '" + cache + "', url: '" + site.toUri() + "'}"))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(site.toUri() + ": expected MD5 c32a1d4ab5d03f1284b67883e8d87530, found MD5 ");
    try (Stream<Path> left = Files.list(cache)) {
      assertThat(left).isEmpty();
    }
    assertThatThrownBy(() -> open("{name: cifar10, cacheDir: '" + cache + "', download: false}"))
        .hasMessage(cache + ": expected cifar-10-batches-bin/ or cifar-10-binary.tar.gz (no dir or archive is "
            + "configured), found neither, and download is false");
  }

  @Test
  void dirAndArchiveTogetherAreRefused() {
    assertThatThrownBy(() -> open("{name: cifar10, dir: a, archive: b.tar.gz}"))
        .hasMessageContaining("archive")
        .hasMessageContaining("null when dir is set");
  }
}
