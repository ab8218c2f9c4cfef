package dev.jdiffusion.sampling.io;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header of an {@code .npy} file, as NumPy's {@code numpy.lib.format} documents it: the magic string
 * {@code \x93NUMPY}, a major and minor version byte, a little-endian header length (2 bytes in version 1.0,
 * 4 bytes in versions 2.0 and 3.0), then a Python dict literal with the keys {@code descr} (the dtype),
 * {@code fortran_order} and {@code shape}, padded with spaces and ended by a newline so that the data starts
 * at a multiple of 64 bytes.
 *
 * @param shape the array's dimensions ({@code []} for a 0-d array)
 * @param dtype {@link Npy#FLOAT32} or {@link Npy#FLOAT64} (other dtypes are refused while parsing)
 * @param headerBytes bytes before the data: magic, version, length field and dict
 */
public record NpyHeader(long[] shape, String dtype, int headerBytes) {
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  public NpyHeader {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Bytes per value: 4 for {@code <f4}, 8 for {@code <f8}. */
  public int itemSize() {
    return dtype.equals(Npy.FLOAT32) ? 4 : 8;
  }

  /** Number of values: the product of the shape (1 for a 0-d array). */
  public long count() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /**
   * Reads and checks a header.
   *
   * @param source the file (and zip entry) named in error messages
   * @throws IOException naming {@code source} for a missing magic string, an unknown version, a truncated
   *     header, a dtype other than little-endian float32/float64, Fortran order or a malformed shape
   */
  static NpyHeader read(String source, InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] magic = new byte[MAGIC.length];
    int got = data.readNBytes(magic, 0, magic.length);
    if (got < magic.length || !Arrays.equals(magic, MAGIC)) {
      throw new IOException(source + ": not an .npy file (the magic string \\x93NUMPY is missing)");
    }
    try {
      int major = data.readUnsignedByte();
      data.readUnsignedByte();
      long length;
      int lengthField;
      if (major == 1) {
        length = Short.toUnsignedInt(Short.reverseBytes(data.readShort()));
        lengthField = 2;
      } else if (major == 2 || major == 3) {
        length = Integer.toUnsignedLong(Integer.reverseBytes(data.readInt()));
        lengthField = 4;
      } else {
        throw new IOException(source + ": .npy format version " + major + " is not supported (1, 2, 3 are)");
      }
      if (length > 1 << 24) {
        throw new IOException(source + ": .npy header length " + length + " is implausible");
      }
      byte[] h = new byte[(int) length];
      data.readFully(h);
      String header = new String(h, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).trim();
      return parse(source, header, MAGIC.length + 2 + lengthField + (int) length);
    } catch (EOFException e) {
      throw new IOException(source + ": truncated .npy header", e);
    }
  }

  private static NpyHeader parse(String source, String header, int headerBytes) throws IOException {
    String descr = group(source, header, DESCR, "descr");
    if (!descr.equals(Npy.FLOAT32) && !descr.equals(Npy.FLOAT64)) {
      String hint = descr.equals(">f4") || descr.equals(">f8") ? " (this one is big-endian; convert with"
          + " a.astype('<f8'))" : "";
      throw new IOException(source + ": dtype '" + descr + "' is not supported; expected '<f4' (float32) or"
          + " '<f8' (float64), little-endian" + hint);
    }
    if (group(source, header, FORTRAN, "fortran_order").equals("True")) {
      throw new IOException(source + ": Fortran-ordered arrays are not supported; save with C order"
          + " (numpy.ascontiguousarray)");
    }
    String dims = group(source, header, SHAPE, "shape").trim();
    long[] shape;
    try {
      shape = dims.isEmpty() ? new long[0]
          : Arrays.stream(dims.split(",")).map(String::trim).filter(s -> !s.isEmpty())
              .mapToLong(s -> Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s)).toArray();
    } catch (NumberFormatException e) {
      throw new IOException(source + ": malformed shape (" + dims + ") in .npy header", e);
    }
    for (long d : shape) {
      if (d < 0) {
        throw new IOException(source + ": negative dimension in shape (" + dims + ")");
      }
    }
    return new NpyHeader(shape, descr, headerBytes);
  }

  private static String group(String source, String header, Pattern p, String key) throws IOException {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw new IOException(source + ": .npy header has no '" + key + "': " + header);
    }
    return m.group(1);
  }

  /**
   * The bytes of a header for {@code shape} and {@code dtype}: version 1.0 when the dict fits its 2-byte
   * length field, version 2.0 otherwise, padded so that the data starts at a multiple of 64 bytes.
   */
  static byte[] encode(long[] shape, String dtype) {
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(shape[i]).append(shape.length == 1 ? "," : i + 1 < shape.length ? ", " : "");
    }
    s.append(')');
    String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + s + ", }";
    int version = MAGIC.length + 2 + 2 + dict.length() + 1 + 63 <= 0xffff ? 1 : 2;
    int lengthField = version == 1 ? 2 : 4;
    int unpadded = MAGIC.length + 2 + lengthField + dict.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    byte[] text = (dict + " ".repeat(padding) + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[MAGIC.length + 2 + lengthField + text.length];
    System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
    out[MAGIC.length] = (byte) version;
    int p = MAGIC.length + 2;
    for (int i = 0; i < lengthField; i++) {
      out[p + i] = (byte) (text.length >>> (8 * i));
    }
    System.arraycopy(text, 0, out, p + lengthField, text.length);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NpyHeader h && Arrays.equals(shape, h.shape) && dtype.equals(h.dtype)
        && headerBytes == h.headerBytes;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shape) * 31 + dtype.hashCode();
  }

  @Override
  public String toString() {
    return "NpyHeader" + Arrays.toString(shape) + " " + dtype;
  }
}
