package dev.jdiffusion.core.image;

import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Lays images out on a grid and writes it as PNG: {@code n} images, channels first, pixel values in
 * {@code [min, max]} mapped to 0..255 (values outside are clipped), 1 channel as grayscale, 3 as RGB, with a
 * 2-pixel gap. Used for dataset previews and sample grids.
 */
public final class ImageGrid {
  private static final int GAP = 2;

  private ImageGrid() {}

  /**
   * Writes the first {@code count} images of {@code pixels} (NCHW) to {@code png}, {@code columns} per row.
   *
   * @throws IllegalArgumentException for a channel count other than 1 or 3
   */
  public static void write(Path png, float[] pixels, ImageShape shape, int count, int columns, double min,
      double max) throws IOException {
    BufferedImage image = render(pixels, shape, count, columns, min, max);
    AtomicFiles.write(png, out -> {
      if (!ImageIO.write(image, "png", out)) {
        throw new IOException("no PNG writer available");
      }
    });
  }

  /** The grid as an image (see {@link #write}). */
  public static BufferedImage render(float[] pixels, ImageShape shape, int count, int columns, double min,
      double max) {
    int c = shape.channels();
    if (c != 1 && c != 3) {
      throw new IllegalArgumentException("a grid shows 1- or 3-channel images, got " + c + " channels");
    }
    int available = pixels.length / shape.size();
    int n = Math.min(count, available);
    if (n < 1) {
      throw new IllegalArgumentException("no images to lay out");
    }
    int cols = Math.max(1, Math.min(columns, n));
    int rows = (n + cols - 1) / cols;
    int h = shape.height();
    int w = shape.width();
    BufferedImage out = new BufferedImage(cols * (w + GAP) + GAP, rows * (h + GAP) + GAP,
        BufferedImage.TYPE_INT_RGB);
    int plane = h * w;
    for (int i = 0; i < n; i++) {
      int ox = GAP + (i % cols) * (w + GAP);
      int oy = GAP + (i / cols) * (h + GAP);
      int base = i * shape.size();
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int p = y * w + x;
          int r = level(pixels[base + p], min, max);
          int g = c == 3 ? level(pixels[base + plane + p], min, max) : r;
          int b = c == 3 ? level(pixels[base + 2 * plane + p], min, max) : r;
          out.setRGB(ox + x, oy + y, (r << 16) | (g << 8) | b);
        }
      }
    }
    return out;
  }

  private static int level(float v, double min, double max) {
    double u = (v - min) / (max - min);
    return (int) Math.round(255 * Math.max(0, Math.min(1, u)));
  }
}
