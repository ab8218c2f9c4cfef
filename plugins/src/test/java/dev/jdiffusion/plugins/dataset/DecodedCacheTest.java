package dev.jdiffusion.plugins.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoded-image cache: what it writes is read back byte for byte; a file whose header does not describe
 * exactly the images asked for, or that is truncated or too long, is no cache (null, so the images are decoded
 * again); a cache that cannot be written is a warning.
 */
class DecodedCacheTest {
  static final ImageShape SHAPE = new ImageShape(2, 3, 4);

  static ByteImages images(int count, boolean labelled) {
    ByteImages data = ByteImages.allocate(SHAPE, count, labelled ? new int[count] : null);
    for (int i = 0; i < count; i++) {
      byte[] px = new byte[SHAPE.size()];
      for (int k = 0; k < px.length; k++) {
        px[k] = (byte) (i * 31 + k * 7);
      }
      data.set(i, px);
      if (labelled) {
        data.labels()[i] = 100 + i;
      }
    }
    return data;
  }

  static void assertSameImages(ByteImages a, ByteImages b) {
    assertThat(b.count()).isEqualTo(a.count());
    assertThat(b.shape()).isEqualTo(a.shape());
    for (int i = 0; i < a.count(); i++) {
      for (int k = 0; k < SHAPE.size(); k++) {
        assertThat(b.pixel(i, k)).as("image %d pixel %d", i, k).isEqualTo(a.pixel(i, k));
      }
    }
    if (a.labels() == null) {
      assertThat(b.labels()).isNull();
    } else {
      assertThat(b.labels()).containsExactly(a.labels());
    }
  }

  @Test
  void roundTripsLabelledAndUnlabelledImages(@TempDir Path dir) throws IOException {
    ByteImages labelled = images(5, true);
    Path file = dir.resolve("sub/cache.bin");
    DecodedCache.write(file, labelled);
    assertSameImages(labelled, DecodedCache.read(file, SHAPE, 5, true));
    ByteImages plain = images(3, false);
    DecodedCache.write(dir.resolve("plain.bin"), plain);
    assertSameImages(plain, DecodedCache.read(dir.resolve("plain.bin"), SHAPE, 3, false));
    // header: magic, version, count, channels, height, width, labelled flag; then pixels; then labels
    assertThat(dir.resolve("sub/cache.bin")).hasSize(6 * 4 + 1 + 5 * SHAPE.size() + 5 * 4);
    try (var files = Files.list(dir.resolve("sub"))) {
      assertThat(files).containsExactly(file); // no temporary file left
    }
  }

  @Test
  void anyHeaderMismatchMeansNoCache(@TempDir Path dir) {
    Path file = dir.resolve("cache.bin");
    DecodedCache.write(file, images(4, true));
    assertThat(DecodedCache.read(file, SHAPE, 4, true)).isNotNull();
    assertThat(DecodedCache.read(file, SHAPE, 3, true)).isNull();
    assertThat(DecodedCache.read(file, SHAPE, 5, true)).isNull();
    assertThat(DecodedCache.read(file, new ImageShape(1, 3, 4), 4, true)).isNull();
    assertThat(DecodedCache.read(file, new ImageShape(2, 4, 3), 4, true)).isNull();
    assertThat(DecodedCache.read(file, new ImageShape(2, 3, 5), 4, true)).isNull();
    assertThat(DecodedCache.read(file, SHAPE, 4, false)).isNull();
    assertThat(DecodedCache.read(dir.resolve("absent.bin"), SHAPE, 4, true)).isNull();
    assertThat(DecodedCache.read(dir, SHAPE, 4, true)).isNull();
  }

  @Test
  void aWrongMagicOrVersionTruncationOrTrailingBytesMeanNoCache(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("cache.bin");
    DecodedCache.write(file, images(4, true));
    byte[] good = Files.readAllBytes(file);
    byte[] magic = good.clone();
    magic[0] ^= 1;
    assertThat(readBytes(dir, magic, true)).isNull();
    byte[] version = good.clone();
    version[7] = 2;
    assertThat(readBytes(dir, version, true)).isNull();
    assertThat(readBytes(dir, Arrays.copyOf(good, good.length - 1), true)).isNull();
    assertThat(readBytes(dir, Arrays.copyOf(good, 30), true)).isNull();
    assertThat(readBytes(dir, Arrays.copyOf(good, good.length + 1), true)).isNull();
    assertThat(readBytes(dir, good, true)).isNotNull();
  }

  @Test
  void theHeaderIsWhatTheFormatSays(@TempDir Path dir) throws IOException {
    // written by hand: "JDDS", version 1, 1 image of 2x3x4, unlabelled, then its 24 bytes
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write("JDDS".getBytes(StandardCharsets.US_ASCII));
      out.writeInt(1);
      out.writeInt(1);
      out.writeInt(2);
      out.writeInt(3);
      out.writeInt(4);
      out.writeBoolean(false);
      for (int k = 0; k < 24; k++) {
        out.write(k * 7);
      }
    }
    ByteImages read = readBytes(dir, bytes.toByteArray(), false);
    assertThat(read).isNotNull();
    assertSameImages(images(1, false), read);
  }

  @Test
  void aCacheThatCannotBeWrittenIsAWarning(@TempDir Path dir) throws IOException {
    Path blocker = Files.writeString(dir.resolve("file"), "not a directory");
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      DecodedCache.write(blocker.resolve("cache.bin"), images(1, false));
    } finally {
      System.setErr(err);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .startsWith("warning: cannot write the dataset cache " + blocker.resolve("cache.bin") + ": ");
    assertThat(blocker).hasContent("not a directory");
  }

  private static ByteImages readBytes(Path dir, byte[] bytes, boolean labelled) throws IOException {
    Path f = Files.write(dir.resolve("edited.bin"), bytes);
    return DecodedCache.read(f, SHAPE, labelled ? 4 : 1, labelled);
  }
}
