package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.dataset.ImageShape;

/**
 * Decoded images held in memory as unsigned bytes, channels first ({@code C * H * W} values per image,
 * 0 = black, 255 = white), with optional labels: the compact form every built-in dataset reads its files
 * into. The bytes live in chunks of at most 1 GiB, so that a set larger than one Java array (CelebA at
 * 64x64 RGB is 2.5 GB) still fits.
 */
final class ByteImages {
  /** Largest chunk, in bytes. */
  static final int MAX_CHUNK_BYTES = 1 << 30;

  private final ImageShape shape;
  private final int count;
  private final int[] labels;
  private final byte[][] chunks;
  private final int perChunk;

  private ByteImages(ImageShape shape, int count, int[] labels, byte[][] chunks, int perChunk) {
    if (labels != null && labels.length != count) {
      throw new IllegalArgumentException(count + " images need " + count + " labels, got " + labels.length);
    }
    this.shape = shape;
    this.count = count;
    this.labels = labels;
    this.chunks = chunks;
    this.perChunk = perChunk;
  }

  /**
   * Images stored in one array.
   *
   * @param pixels {@code count * shape.size()} bytes
   * @param labels one label per image, or {@code null} when the data has none
   */
  ByteImages(ImageShape shape, byte[] pixels, int[] labels, int count) {
    this(shape, count, labels, new byte[][] {pixels}, Math.max(1, count));
    if ((long) count * shape.size() != pixels.length) {
      throw new IllegalArgumentException(
          count + " images of " + shape + " need " + (long) count * shape.size() + " bytes, got " + pixels.length);
    }
  }

  /** Zeroed storage for {@code count} images, filled with {@link #set}. */
  static ByteImages allocate(ImageShape shape, int count, int[] labels) {
    return allocate(shape, count, labels, MAX_CHUNK_BYTES);
  }

  /** As {@link #allocate(ImageShape, int, int[])} with chunks of at most {@code maxChunkBytes} (for tests). */
  static ByteImages allocate(ImageShape shape, int count, int[] labels, int maxChunkBytes) {
    int perChunk = Math.max(1, maxChunkBytes / shape.size());
    int n = (count + perChunk - 1) / perChunk;
    byte[][] chunks = new byte[n][];
    for (int k = 0; k < n; k++) {
      int images = Math.min(perChunk, count - k * perChunk);
      chunks[k] = new byte[images * shape.size()];
    }
    return new ByteImages(shape, count, labels, chunks, perChunk);
  }

  ImageShape shape() {
    return shape;
  }

  int count() {
    return count;
  }

  /** One label per image, or {@code null}. */
  int[] labels() {
    return labels;
  }

  /** The same images with other labels. */
  ByteImages withLabels(int[] newLabels) {
    return new ByteImages(shape, count, newLabels, chunks, perChunk);
  }

  /** The array holding image {@code image}; its bytes start at {@link #offset(int)}. */
  byte[] chunk(int image) {
    return chunks[image / perChunk];
  }

  int offset(int image) {
    return (image % perChunk) * shape.size();
  }

  /** Byte {@code k} (channels first) of image {@code image}, 0..255. */
  int pixel(int image, int k) {
    return chunk(image)[offset(image) + k] & 0xff;
  }

  /** Copies one image's {@code shape.size()} bytes in. */
  void set(int image, byte[] pixels) {
    System.arraycopy(pixels, 0, chunk(image), offset(image), shape.size());
  }
}
