package dev.jdiffusion.sampling.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's {@code .npy} and {@code .npz} files (format described in NumPy's {@code numpy.lib.format}
 * documentation, "NEP 1"): a magic string {@code \x93NUMPY}, a version, a little-endian header length
 * (2 bytes in version 1.0, 4 in 2.0 and 3.0), an ASCII Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }} padded with spaces to a multiple of
 * 64 bytes and ended by a newline, then the raw values. An {@code .npz} is a zip of {@code name.npy}
 * entries. Supported: little-endian float32 ({@code <f4}) and float64 ({@code <f8}), C order; anything
 * else is refused with the file and the header named.
 */
public final class Npy {
  public static final String FLOAT32 = "<f4";
  public static final String FLOAT64 = "<f8";
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** Writes one array as {@code .npy} (version 1.0), atomically. */
  public static void write(Path file, NpyArray array) throws IOException {
    atomically(file, out -> out.write(encode(array)));
  }

  /** Reads one {@code .npy} file. */
  public static NpyArray read(Path file) throws IOException {
    return decode(file.toString(), Files.readAllBytes(file));
  }

  /** Writes named arrays as an {@code .npz} (a zip of {@code name.npy} entries, deflated), atomically. */
  public static void writeNpz(Path file, Map<String, NpyArray> arrays) throws IOException {
    atomically(file, out -> {
      try (ZipOutputStream zip = new ZipOutputStream(out)) {
        for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
          zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
          zip.write(encode(e.getValue()));
          zip.closeEntry();
        }
      }
    });
  }

  /** Reads every array of an {@code .npz}, by name (without the {@code .npy} suffix), in file order. */
  public static Map<String, NpyArray> readNpz(Path file) throws IOException {
    Map<String, NpyArray> out = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
      ZipEntry e;
      while ((e = zip.getNextEntry()) != null) {
        String name = e.getName();
        if (!name.endsWith(".npy")) {
          throw new IOException(file + ": entry '" + name + "' is not an .npy array; an .npz holds only .npy entries");
        }
        out.put(name.substring(0, name.length() - 4), decode(file + ":" + name, zip.readAllBytes()));
      }
    }
    if (out.isEmpty()) {
      throw new IOException(file + ": not an .npz archive (no .npy entries found)");
    }
    return out;
  }

  static byte[] encode(NpyArray a) {
    StringBuilder shape = new StringBuilder("(");
    for (int i = 0; i < a.shape().length; i++) {
      shape.append(a.shape()[i]).append(a.shape().length == 1 ? "," : i + 1 < a.shape().length ? ", " : "");
    }
    shape.append(')');
    String dict = "{'descr': '" + a.dtype() + "', 'fortran_order': False, 'shape': " + shape + ", }";
    int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    String header = dict + " ".repeat(padding) + "\n";
    boolean f32 = a.dtype().equals(FLOAT32);
    int width = f32 ? 4 : 8;
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + a.data().length * width)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length())
        .put(header.getBytes(StandardCharsets.US_ASCII));
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
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (byte m : MAGIC) {
      if (b.remaining() == 0 || b.get() != m) {
        throw new IOException(source + ": not an .npy file (the magic string \\x93NUMPY is missing)");
      }
    }
    int major = b.get();
    b.get();
    int headerLength;
    if (major == 1) {
      headerLength = Short.toUnsignedInt(b.getShort());
    } else if (major == 2 || major == 3) {
      headerLength = b.getInt();
    } else {
      throw new IOException(source + ": .npy format version " + major + " is not supported (1, 2, 3 are)");
    }
    if (headerLength > b.remaining()) {
      throw new IOException(source + ": truncated .npy header");
    }
    byte[] h = new byte[headerLength];
    b.get(h);
    String header = new String(h, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).trim();
    String descr = group(source, header, DESCR, "descr");
    if (!descr.equals(FLOAT32) && !descr.equals(FLOAT64)) {
      throw new IOException(source + ": dtype '" + descr + "' is not supported; expected '<f4' (float32) or"
          + " '<f8' (float64), little-endian");
    }
    if (group(source, header, FORTRAN, "fortran_order").equals("True")) {
      throw new IOException(source + ": Fortran-ordered arrays are not supported; save with C order"
          + " (numpy.ascontiguousarray)");
    }
    String dims = group(source, header, SHAPE, "shape").trim();
    long[] shape = dims.isEmpty() ? new long[0]
        : java.util.Arrays.stream(dims.split(",")).map(String::trim).filter(s -> !s.isEmpty())
            .mapToLong(Long::parseLong).toArray();
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    int width = descr.equals(FLOAT32) ? 4 : 8;
    if (b.remaining() != count * width) {
      throw new IOException(source + ": expected " + count * width + " bytes of data for shape "
          + java.util.Arrays.toString(shape) + " " + descr + ", found " + b.remaining());
    }
    double[] data = new double[(int) count];
    for (int i = 0; i < count; i++) {
      data[i] = width == 4 ? b.getFloat() : b.getDouble();
    }
    return new NpyArray(shape, data, descr);
  }

  private static String group(String source, String header, Pattern p, String key) throws IOException {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw new IOException(source + ": .npy header has no '" + key + "': " + header);
    }
    return m.group(1);
  }

  private interface Body {
    void write(OutputStream out) throws IOException;
  }

  private static void atomically(Path file, Body body) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        body.write(out);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** For tests and tools: the bytes of an array as {@code .npy}. */
  static byte[] bytes(NpyArray a) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(encode(a));
    return out.toByteArray();
  }
}
