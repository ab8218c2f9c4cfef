package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The compact cache of decoded images: a file holding the magic {@code JDDS}, a format version, the
 * count, channels, height and width (big-endian ints), a label flag byte, the pixels as unsigned bytes
 * and the labels as ints. Written to a temporary file and moved into place, so a reader never sees half
 * a file. The file name carries the key of the decoding inputs; a file that does not match what is
 * expected is ignored and rewritten.
 */
final class DecodedCache {
  private static final int MAGIC = 0x4a444453; // "JDDS"
  private static final int VERSION = 1;

  private DecodedCache() {}

  /** The cached images, or {@code null} when there is no usable cache file. */
  static ByteImages read(Path file, ImageShape shape, int count, boolean labelled) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      if (in.readInt() != MAGIC || in.readInt() != VERSION || in.readInt() != count
          || in.readInt() != shape.channels() || in.readInt() != shape.height() || in.readInt() != shape.width()
          || in.readBoolean() != labelled) {
        return null;
      }
      ByteImages data = ByteImages.allocate(shape, count, labelled ? new int[count] : null);
      byte[] image = new byte[shape.size()];
      for (int i = 0; i < count; i++) {
        in.readFully(image);
        data.set(i, image);
      }
      if (labelled) {
        for (int i = 0; i < count; i++) {
          data.labels()[i] = in.readInt();
        }
      }
      return in.read() < 0 ? data : null;
    } catch (IOException e) {
      return null; // truncated (EOFException) or unreadable: decode again
    }
  }

  /** Writes {@code data} to {@code file}; a cache that cannot be written is skipped (it is only a cache). */
  static void write(Path file, ByteImages data) {
    Path tmp = null;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".part");
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
        ImageShape s = data.shape();
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(data.count());
        out.writeInt(s.channels());
        out.writeInt(s.height());
        out.writeInt(s.width());
        out.writeBoolean(data.labels() != null);
        for (int i = 0; i < data.count(); i++) {
          out.write(data.chunk(i), data.offset(i), s.size());
        }
        if (data.labels() != null) {
          for (int l : data.labels()) {
            out.writeInt(l);
          }
        }
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      System.err.println("warning: cannot write the dataset cache " + file + ": " + e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // nothing left to do
        }
      }
    }
  }
}
