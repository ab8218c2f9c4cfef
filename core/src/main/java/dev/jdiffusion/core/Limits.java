package dev.jdiffusion.core;

import dev.jdiffusion.spi.InvalidParameterException;
import java.util.Locale;

/**
 * Upper bounds on values that size memory, chosen so that anything that fits in memory still works and
 * anything absurd fails at once with a message naming the field, instead of running out of memory or
 * overflowing an array index minutes later. Each bound is far above what the papers use:
 *
 * <table>
 *   <caption>Limits</caption>
 *   <tr><th>value</th><th>bound</th><th>why</th></tr>
 *   <tr><td>{@code schedule.timesteps}</td><td>{@value #MAX_TIMESTEPS}</td><td>DDPM uses 1000, improved DDPM 4000;
 *       each per-timestep table is 8 bytes per step and a weight plot writes one row per step</td></tr>
 *   <tr><td>image side (after padding)</td><td>{@value #MAX_IMAGE_SIDE}</td><td>a 4096x4096 RGB image is 200 MB
 *       as floats; larger ones cannot be trained here</td></tr>
 *   <tr><td>{@code training.batchSize}</td><td>{@value #MAX_BATCH_SIZE}</td><td>and a batch of floats must fit in
 *       one Java array (2^31 - 1 elements)</td></tr>
 *   <tr><td>an in-memory dataset</td><td>the JVM's maximum heap</td><td>datasets decode into byte arrays of at most
 *       2^31 - 1 bytes each; more than {@code -Xmx} allows cannot be held</td></tr>
 *   <tr><td>a configuration file</td><td>{@value #MAX_CONFIG_BYTES} bytes, strings of {@value #MAX_CONFIG_STRING}
 *       characters, nesting {@value #MAX_CONFIG_DEPTH}</td><td>a configuration is a few hundred bytes</td></tr>
 * </table>
 */
public final class Limits {
  /** The most timesteps a schedule may have. */
  public static final int MAX_TIMESTEPS = 100_000;
  /** The largest image side, in pixels, after padding. */
  public static final int MAX_IMAGE_SIDE = 4096;
  /** The largest training batch. */
  public static final int MAX_BATCH_SIZE = 65_536;
  /** The largest configuration file, in bytes. */
  public static final int MAX_CONFIG_BYTES = 1 << 20;
  /** The longest string value in a configuration, in characters. */
  public static final int MAX_CONFIG_STRING = 64 * 1024;
  /** The deepest nesting of objects and arrays in a configuration. */
  public static final int MAX_CONFIG_DEPTH = 64;
  /** The largest Java array (of bytes or floats) the JVM reliably allocates. */
  public static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  private Limits() {}

  /**
   * Checks that {@code bytes} of data can be held on the heap, as one or more arrays.
   *
   * @param parameter the configuration field that sets the size, e.g. {@code count}
   * @param value its value
   * @param what what is held, e.g. {@code "1024 images of 1x32x32"}
   * @throws InvalidParameterException naming {@code parameter} when the heap (-Xmx) is too small
   */
  public static void requireHeap(String parameter, Object value, String what, long bytes) {
    long max = Runtime.getRuntime().maxMemory();
    if (bytes < 0 || bytes > max) {
      throw new InvalidParameterException(parameter, value, "small enough that " + what + " ("
          + (bytes < 0 ? "more than 8 EB" : bytes(bytes)) + ") fit in the JVM's heap of " + bytes(max)
          + " (raise it with -Xmx, e.g. JAVA_OPTS=-Xmx16g)");
    }
  }

  /** A size in bytes as a short text: {@code 512 bytes}, {@code 1.5 GB}. */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " bytes";
    }
    String[] units = {"KB", "MB", "GB", "TB", "PB", "EB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
