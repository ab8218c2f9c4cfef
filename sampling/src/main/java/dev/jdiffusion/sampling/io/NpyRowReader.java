package dev.jdiffusion.sampling.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads an {@code .npy} array of rank at least 1 row by row (a row is one index of the first dimension:
 * one feature vector of an [N, D] matrix, one image of an [N, C, H, W] batch), so that files larger than
 * memory can be streamed. Values are returned as doubles whatever the file's dtype.
 */
public final class NpyRowReader implements AutoCloseable {
  private final Path file;
  private final NpyHeader header;
  private final InputStream in;
  private final long rows;
  private final int rowLength;
  private long rowsRead;
  private byte[] buffer = new byte[0];

  private NpyRowReader(Path file, NpyHeader header, InputStream in) {
    this.file = file;
    this.header = header;
    this.in = in;
    long[] shape = header.shape();
    this.rows = shape[0];
    long length = 1;
    for (int i = 1; i < shape.length; i++) {
      length *= shape[i];
    }
    this.rowLength = (int) length;
  }

  /**
   * Opens a file and checks its header and its size against the shape.
   *
   * @throws IOException naming the file when it is not a float32/float64 C-order {@code .npy} array of
   *     rank at least 1, or when its length does not match its shape
   */
  public static NpyRowReader open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    try {
      NpyHeader h = NpyHeader.read(file.toString(), in);
      if (h.shape().length == 0) {
        throw new IOException(file + ": a 0-d array has no rows");
      }
      long rowLength = h.count() / Math.max(1, h.shape()[0]);
      if (h.shape()[0] > 0 && rowLength > Integer.MAX_VALUE / 8) {
        throw new IOException(file + ": rows of " + rowLength + " values are too long");
      }
      long expected = h.headerBytes() + h.count() * h.itemSize();
      long actual = Files.size(file);
      if (actual != expected) {
        throw new IOException(file + ": expected " + expected + " bytes for shape " + Arrays.toString(h.shape())
            + " " + h.dtype() + ", the file has " + actual + (actual < expected ? " (truncated)" : ""));
      }
      return new NpyRowReader(file, h, in);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  public Path file() {
    return file;
  }

  public NpyHeader header() {
    return header;
  }

  /** The first dimension. */
  public long rows() {
    return rows;
  }

  /** Values per row: the product of the dimensions after the first. */
  public int rowLength() {
    return rowLength;
  }

  /** Rows not yet read. */
  public long remaining() {
    return rows - rowsRead;
  }

  /**
   * Reads up to {@code maxRows} rows into {@code dst} (row-major, from index 0).
   *
   * @return the number of rows read; 0 at the end
   */
  public int read(double[] dst, int maxRows) throws IOException {
    int n = (int) Math.min(maxRows, remaining());
    if (n <= 0) {
      return 0;
    }
    if ((long) n * rowLength > dst.length) {
      throw new IllegalArgumentException(n + " rows of " + rowLength + " do not fit in " + dst.length + " values");
    }
    int values = n * rowLength;
    int bytes = values * header.itemSize();
    if (buffer.length < bytes) {
      buffer = new byte[bytes];
    }
    if (in.readNBytes(buffer, 0, bytes) != bytes) {
      throw new IOException(file + ": truncated while reading rows " + rowsRead + ".." + (rowsRead + n - 1));
    }
    ByteBuffer b = ByteBuffer.wrap(buffer, 0, bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (header.itemSize() == 4) {
      for (int i = 0; i < values; i++) {
        dst[i] = b.getFloat();
      }
    } else {
      for (int i = 0; i < values; i++) {
        dst[i] = b.getDouble();
      }
    }
    rowsRead += n;
    return n;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
