package dev.jdiffusion.plugins.dataset;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Opening data files, gzipped or not, with errors that name the file. */
final class DataFiles {
  private static final int GZIP_MAGIC_1 = 0x1f;
  private static final int GZIP_MAGIC_2 = 0x8b;

  private DataFiles() {}

  /**
   * Opens {@code file} for reading; a gzip stream (recognised by its magic bytes 1f 8b, RFC 1952
   * section 2.3.1, whatever the file name) is decompressed on the fly.
   */
  static InputStream open(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new DatasetFormatException(file, "a file", "nothing (no such file)");
    }
    if (!Files.isRegularFile(file)) {
      throw new DatasetFormatException(file, "a regular file", "a directory or special file");
    }
    InputStream raw;
    try {
      raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    } catch (NoSuchFileException e) {
      throw new DatasetFormatException(file, "a file", "nothing (no such file)");
    }
    raw.mark(2);
    int b1 = raw.read();
    int b2 = raw.read();
    raw.reset();
    if (b1 == GZIP_MAGIC_1 && b2 == GZIP_MAGIC_2) {
      try {
        return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
      } catch (EOFException e) {
        raw.close();
        throw new DatasetFormatException(file, "a complete gzip header", "a truncated one");
      } catch (ZipException e) {
        raw.close();
        throw new DatasetFormatException(file.toString(), "gzip data", "a corrupt header (" + e.getMessage() + ")", e);
      }
    }
    return raw;
  }

  /**
   * Fills {@code buffer} from {@code in}; returns how many bytes were read, fewer only at the end of the
   * data. A corrupt or cut-off gzip stream counts as the end, so that the caller reports the short count.
   */
  static int readFully(InputStream in, byte[] buffer, int offset, int length, Path file) throws IOException {
    int done = 0;
    while (done < length) {
      int n;
      try {
        n = in.read(buffer, offset + done, length - done);
      } catch (EOFException e) {
        return done; // GZIPInputStream: "Unexpected end of ZLIB input stream"
      } catch (ZipException e) {
        throw new DatasetFormatException(
            file.toString(), "valid gzip data", "corrupt data after " + done + " bytes (" + e.getMessage() + ")", e);
      }
      if (n < 0) {
        break;
      }
      done += n;
    }
    return done;
  }

  /** Whether {@code in} is at its end; a cut-off gzip trailer also counts as the end of the data. */
  static boolean atEnd(InputStream in, Path file) throws IOException {
    try {
      return in.read() < 0;
    } catch (EOFException e) {
      return true;
    } catch (ZipException e) {
      throw new DatasetFormatException(
          file.toString(), "a valid gzip trailer", "a corrupt one (" + e.getMessage() + ")", e);
    }
  }
}
