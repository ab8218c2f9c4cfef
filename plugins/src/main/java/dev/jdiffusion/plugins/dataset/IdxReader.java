package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST, gzipped or raw. The format (LeCun, Cortes and Burges,
 * "THE MNIST DATABASE of handwritten digits", section "FILE FORMATS FOR THE MNIST DATABASE"): a 4-byte
 * big-endian magic number whose first two bytes are 0, whose third gives the element type (0x08 =
 * unsigned byte) and whose fourth the number of dimensions; then each dimension as a 4-byte big-endian
 * integer; then the elements in row-major order. Images are {@code 0x00000803} ({@code [n, rows, cols]}),
 * labels {@code 0x00000801} ({@code [n]}). Every size is checked: a short file, extra bytes after the
 * declared data, another element type or rank all throw {@link DatasetFormatException}.
 */
final class IdxReader {
  static final int UNSIGNED_BYTE = 0x08;

  private IdxReader() {}

  /** Reads an {@code idx3-ubyte} image file into one-channel images. */
  static ByteImages readImages(Path file) throws IOException {
    try (InputStream in = DataFiles.open(file)) {
      int[] dims = header(in, file, 3, "images (idx3-ubyte)");
      long total = (long) dims[0] * dims[1] * dims[2];
      if (dims[1] < 1 || dims[2] < 1 || total > Integer.MAX_VALUE - 8) {
        throw new DatasetFormatException(
            file, "images of at least 1x1 and at most 2^31 bytes in all",
            dims[0] + " images of " + dims[1] + "x" + dims[2]);
      }
      byte[] pixels = body(in, file, (int) total, dims[0] + " images of " + dims[1] + "x" + dims[2], 16);
      return new ByteImages(new ImageShape(1, dims[1], dims[2]), pixels, null, dims[0]);
    }
  }

  /** Reads an {@code idx1-ubyte} label file. */
  static int[] readLabels(Path file) throws IOException {
    try (InputStream in = DataFiles.open(file)) {
      int[] dims = header(in, file, 1, "labels (idx1-ubyte)");
      byte[] bytes = body(in, file, dims[0], dims[0] + " labels", 8);
      int[] labels = new int[dims[0]];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = bytes[i] & 0xff;
      }
      return labels;
    }
  }

  /** Images with their labels: the two counts must agree. */
  static ByteImages read(Path images, Path labels) throws IOException {
    ByteImages data = readImages(images);
    if (labels == null) {
      return data;
    }
    int[] l = readLabels(labels);
    if (l.length != data.count()) {
      throw new DatasetFormatException(
          labels, data.count() + " labels, one per image of " + images, l.length + " labels");
    }
    return data.withLabels(l);
  }

  private static int[] header(InputStream in, Path file, int rank, String what) throws IOException {
    byte[] magic = new byte[4];
    int got = DataFiles.readFully(in, magic, 0, 4, file);
    if (got < 4) {
      throw new DatasetFormatException(file, "a 4-byte IDX magic number", "only " + got + " bytes");
    }
    int value = ((magic[0] & 0xff) << 24) | ((magic[1] & 0xff) << 16) | ((magic[2] & 0xff) << 8) | (magic[3] & 0xff);
    int expected = (UNSIGNED_BYTE << 8) | rank;
    if (value != expected) {
      throw new DatasetFormatException(
          file, String.format(Locale.ROOT, "the IDX magic number 0x%08x of %s", expected, what),
          String.format(Locale.ROOT, "0x%08x%s", value, describe(magic)));
    }
    byte[] raw = new byte[4 * rank];
    got = DataFiles.readFully(in, raw, 0, raw.length, file);
    if (got < raw.length) {
      throw new DatasetFormatException(
          file, rank + " dimension sizes (" + raw.length + " bytes) after the magic number",
          "only " + got + " bytes");
    }
    int[] dims = new int[rank];
    for (int d = 0; d < rank; d++) {
      dims[d] = ((raw[4 * d] & 0xff) << 24) | ((raw[4 * d + 1] & 0xff) << 16)
          | ((raw[4 * d + 2] & 0xff) << 8) | (raw[4 * d + 3] & 0xff);
      if (dims[d] < 0) {
        throw new DatasetFormatException(
            file, "non-negative dimension sizes", "dimension " + d + " = " + Integer.toUnsignedString(dims[d]));
      }
    }
    if (dims[0] == 0) {
      throw new DatasetFormatException(file, "at least one item", "a header declaring 0");
    }
    return dims;
  }

  private static String describe(byte[] magic) {
    if (magic[0] != 0 || magic[1] != 0) {
      return " (not an IDX file)";
    }
    int type = magic[2] & 0xff;
    String name = switch (type) {
      case 0x08 -> "unsigned byte";
      case 0x09 -> "signed byte";
      case 0x0b -> "short";
      case 0x0c -> "int";
      case 0x0d -> "float";
      case 0x0e -> "double";
      default -> "unknown type";
    };
    return " (" + name + " elements, " + (magic[3] & 0xff) + " dimensions)";
  }

  private static byte[] body(InputStream in, Path file, int length, String what, int headerBytes)
      throws IOException {
    byte[] data = new byte[length];
    int got = DataFiles.readFully(in, data, 0, length, file);
    if (got < length) {
      throw new DatasetFormatException(
          file, what + " (" + length + " bytes after the " + headerBytes + "-byte header)",
          "only " + got + " bytes: the file is truncated");
    }
    if (!DataFiles.atEnd(in, file)) {
      throw new DatasetFormatException(
          file, "the end of the data after " + what, "more bytes: the header's count is too small");
    }
    return data;
  }
}
