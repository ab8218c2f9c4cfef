package dev.jdiffusion.sampling.io;

import dev.jdiffusion.core.io.AtomicFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's {@code .npy} and {@code .npz} files (format described in NumPy's {@code numpy.lib.format}
 * documentation, "NEP 1"): a magic string {@code \x93NUMPY}, a version, a little-endian header length
 * (2 bytes in version 1.0, 4 in 2.0 and 3.0), an ASCII Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }} padded with spaces to a multiple of
 * 64 bytes and ended by a newline, then the raw values. An {@code .npz} is a zip of {@code name.npy}
 * entries. Supported: little-endian float32 ({@code <f4}) and float64 ({@code <f8}), C order; anything
 * else is refused with the file and the header named. Header parsing and writing: {@link NpyHeader}; large
 * arrays are streamed by rows with {@link NpyRowReader}.
 */
public final class Npy {
  public static final String FLOAT32 = "<f4";
  public static final String FLOAT64 = "<f8";

  private Npy() {}

  /** Writes one array as {@code .npy} (version 1.0; 2.0 only for a header too long for 1.0), atomically. */
  public static void write(Path file, NpyArray array) throws IOException {
    AtomicFiles.write(file, out -> out.write(encode(array)));
  }

  /** Reads one {@code .npy} file. */
  public static NpyArray read(Path file) throws IOException {
    return decode(file.toString(), Files.readAllBytes(file));
  }

  /**
   * Writes named arrays as an {@code .npz} (a zip of {@code name.npy} entries, deflated), atomically. The entries
   * carry a fixed time stamp (1980-01-01, the zip format's first date), so equal arrays give equal bytes.
   */
  public static void writeNpz(Path file, Map<String, NpyArray> arrays) throws IOException {
    AtomicFiles.write(file, out -> {
      try (ZipOutputStream zip = new ZipOutputStream(out)) {
        for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
          ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
          entry.setTimeLocal(java.time.LocalDateTime.of(1980, 1, 1, 0, 0));
          zip.putNextEntry(entry);
          zip.write(encode(e.getValue()));
          zip.closeEntry();
        }
      }
    });
  }

  /**
   * Reads every array of an {@code .npz}, by name (without the {@code .npy} suffix), in file order. Entries
   * may be stored ({@code numpy.savez}) or deflated ({@code numpy.savez_compressed}); the zip's central
   * directory is read, so entries written with data descriptors or ZIP64 sizes are found too.
   */
  public static Map<String, NpyArray> readNpz(Path file) throws IOException {
    Map<String, NpyArray> out = new LinkedHashMap<>();
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (ZipException e) {
      throw new IOException(file + ": not an .npz archive (" + e.getMessage() + ")", e);
    }
    try (zip) {
      for (ZipEntry e : java.util.Collections.list(zip.entries())) {
        String name = e.getName();
        if (e.isDirectory()) {
          continue;
        }
        if (!name.endsWith(".npy")) {
          throw new IOException(file + ": entry '" + name + "' is not an .npy array; an .npz holds only .npy entries");
        }
        try (InputStream in = zip.getInputStream(e)) {
          out.put(name.substring(0, name.length() - 4), decode(file + ":" + name, in.readAllBytes()));
        }
      }
    }
    if (out.isEmpty()) {
      throw new IOException(file + ": not an .npz archive (no .npy entries found)");
    }
    return out;
  }

  static byte[] encode(NpyArray a) {
    byte[] header = NpyHeader.encode(a.shape(), a.dtype());
    boolean f32 = a.dtype().equals(FLOAT32);
    int width = f32 ? 4 : 8;
    ByteBuffer b = ByteBuffer.allocate(header.length + a.data().length * width).order(ByteOrder.LITTLE_ENDIAN);
    b.put(header);
    for (double v : a.data()) {
      if (f32) {
        b.putFloat((float) v);
      } else {
        b.putDouble(v);
      }
    }
    return b.array();
  }

  static NpyArray decode(String source, byte[] bytes) throws IOException {
    NpyHeader h = NpyHeader.read(source, new ByteArrayInputStream(bytes));
    long count = h.count();
    int width = h.itemSize();
    long remaining = bytes.length - h.headerBytes();
    if (remaining != count * width) {
      throw new IOException(source + ": expected " + count * width + " bytes of data for shape "
          + Arrays.toString(h.shape()) + " " + h.dtype() + ", found " + remaining);
    }
    if (count > Integer.MAX_VALUE - 8) {
      throw new IOException(source + ": " + count + " values do not fit in one Java array; stream the rows with"
          + " NpyRowReader");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, h.headerBytes(), (int) remaining).order(ByteOrder.LITTLE_ENDIAN);
    double[] data = new double[(int) count];
    for (int i = 0; i < count; i++) {
      data[i] = width == 4 ? b.getFloat() : b.getDouble();
    }
    return new NpyArray(h.shape(), data, h.dtype());
  }

  /** For tests and tools: the bytes of an array as {@code .npy}. */
  static byte[] bytes(NpyArray a) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(encode(a));
    return out.toByteArray();
  }
}
