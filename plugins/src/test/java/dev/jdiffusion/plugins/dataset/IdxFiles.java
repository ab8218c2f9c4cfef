package dev.jdiffusion.plugins.dataset;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes IDX files the way the MNIST page describes them, for tests. */
final class IdxFiles {
  private IdxFiles() {}

  /** The bytes of an IDX file of unsigned bytes with the given dimensions. */
  static byte[] idx(int[] dims, byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(0x00000800 | dims.length);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(data);
    }
    return bytes.toByteArray();
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }

  /** {@code count} images of {@code rows x cols}; pixel (i, y, x) = (7 i + 3 y + x) mod 256. */
  static byte[] images(int count, int rows, int cols) {
    byte[] data = new byte[count * rows * cols];
    for (int i = 0; i < count; i++) {
      for (int y = 0; y < rows; y++) {
        for (int x = 0; x < cols; x++) {
          data[(i * rows + y) * cols + x] = (byte) pixel(i, y, x);
        }
      }
    }
    return data;
  }

  static int pixel(int i, int y, int x) {
    return (7 * i + 3 * y + x) & 0xff;
  }

  /** Labels {@code i mod classes}. */
  static byte[] labels(int count, int classes) {
    byte[] data = new byte[count];
    for (int i = 0; i < count; i++) {
      data[i] = (byte) (i % classes);
    }
    return data;
  }

  /** Writes an image file and a label file into {@code dir}; returns {images, labels}. */
  static Path[] write(Path dir, String imagesName, String labelsName, int count, int rows, int cols,
      int classes, boolean gzip) throws IOException {
    Files.createDirectories(dir);
    byte[] images = idx(new int[] {count, rows, cols}, images(count, rows, cols));
    byte[] labels = idx(new int[] {count}, labels(count, classes));
    Path i = dir.resolve(imagesName + (gzip ? ".gz" : ""));
    Path l = dir.resolve(labelsName + (gzip ? ".gz" : ""));
    Files.write(i, gzip ? gzip(images) : images);
    Files.write(l, gzip ? gzip(labels) : labels);
    return new Path[] {i, l};
  }
}
