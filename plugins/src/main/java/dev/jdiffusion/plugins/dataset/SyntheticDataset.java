package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.core.Limits;
import dev.jdiffusion.core.data.SplitMix64;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;

/**
 * Shapes drawn on the fly: each image is one filled disk, square or triangle (labels 0, 1, 2) at a random
 * position, size, rotation and brightness (a random colour in RGB) on a dark background, anti-aliased by
 * 4x4 supersampling. Image {@code i} depends only on {@code (seed, split, i)}, so a smaller {@code count}
 * gives a prefix of a larger one, and the test split never repeats a training image. Made for tests and
 * demos that need no files.
 */
public final class SyntheticDataset implements DatasetProvider<SyntheticDataset.Config> {
  /** Label of each shape. */
  static final int DISK = 0;
  static final int SQUARE = 1;
  static final int TRIANGLE = 2;

  private static final int SUPERSAMPLING = 4;

  /** {@code {name: synthetic, count: 1024, size: 32, channels: 1}} */
  public record Config(
      @Param(value = "number of images, >= 1", defaultValue = "1024") int count,
      @Param(value = "side of the square images in pixels, 8 to 4096", defaultValue = "32") int size,
      @Param(value = "1 (grayscale) or 3 (RGB)", defaultValue = "1") int channels,
      @Param(value = "train or test: disjoint draws from the same seed", defaultValue = "train") String split,
      @Param(value = "black border in pixels added on every side, >= 0", defaultValue = "0") int padding,
      @Param(value = "random horizontal flip in the batch pipeline", defaultValue = "false") boolean flip,
      @Param(value = "seed of the shapes", defaultValue = "0") long seed)
      implements DatasetConfig {
    public Config {
      Require.atLeast("count", count, 1);
      Require.atLeast("size", size, 8);
      if (size > Limits.MAX_IMAGE_SIDE) {
        throw new InvalidParameterException("size", size, "<= " + Limits.MAX_IMAGE_SIDE);
      }
      Require.atLeast("padding", padding, 0);
      if (channels != 1 && channels != 3) {
        throw new InvalidParameterException("channels", channels, "1 or 3");
      }
      Splits.check(split);
    }
  }

  @Override
  public String id() {
    return "synthetic";
  }

  @Override
  public String description() {
    return "disks, squares and triangles drawn from a seed (labels 0..2); no files";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public DatasetSource open(Config c) {
    ImageShape shape = new ImageShape(c.channels(), c.size(), c.size());
    Limits.requireHeap("count", c.count(), c.count() + " images of " + shape,
        (long) c.count() * (shape.size() + Integer.BYTES));
    int[] labels = new int[c.count()];
    ByteImages images = ByteImages.allocate(shape, c.count(), labels);
    long stream = Splits.isTest(c.split()) ? 1 : 0;
    for (int i = 0; i < c.count(); i++) {
      SplitMix64 rng = new SplitMix64(SplitMix64.derive(c.seed(), 2L * i + stream));
      labels[i] = draw(rng, shape, images.chunk(i), images.offset(i));
    }
    return new Preprocessing(0, c.padding(), c.flip(), c.seed()).apply(images, "the synthetic dataset");
  }

  /** Draws one image into {@code out} at {@code offset}; returns its label. */
  static int draw(SplitMix64 rng, ImageShape shape, byte[] out, int offset) {
    int size = shape.width();
    int kind = rng.nextInt(3);
    double cx = size * (0.3 + 0.4 * rng.nextDouble());
    double cy = size * (0.3 + 0.4 * rng.nextDouble());
    double r = size * (0.15 + 0.15 * rng.nextDouble());
    double angle = 2 * Math.PI * rng.nextDouble();
    double background = 0.15 * rng.nextDouble();
    double[] colour = new double[shape.channels()];
    for (int c = 0; c < colour.length; c++) {
      colour[c] = colour.length == 1 ? 0.6 + 0.4 * rng.nextDouble() : 0.2 + 0.8 * rng.nextDouble();
    }
    double cos = Math.cos(angle);
    double sin = Math.sin(angle);
    int plane = size * size;
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int hits = 0;
        for (int sy = 0; sy < SUPERSAMPLING; sy++) {
          for (int sx = 0; sx < SUPERSAMPLING; sx++) {
            double px = x + (sx + 0.5) / SUPERSAMPLING - cx;
            double py = y + (sy + 0.5) / SUPERSAMPLING - cy;
            // rotate the sample by -angle into the shape's own frame
            double u = cos * px + sin * py;
            double v = -sin * px + cos * py;
            if (inside(kind, u, v, r)) {
              hits++;
            }
          }
        }
        double coverage = hits / (double) (SUPERSAMPLING * SUPERSAMPLING);
        for (int c = 0; c < colour.length; c++) {
          double value = background + coverage * (colour[c] - background);
          out[offset + c * plane + y * size + x] = (byte) Math.round(255 * value);
        }
      }
    }
    return kind;
  }

  /** Whether {@code (u, v)}, relative to the centre in the shape's frame, lies in a shape of radius r. */
  private static boolean inside(int kind, double u, double v, double r) {
    return switch (kind) {
      case DISK -> u * u + v * v <= r * r;
      case SQUARE -> Math.abs(u) <= 0.8 * r && Math.abs(v) <= 0.8 * r;
      default -> {
        // equilateral triangle with circumradius r, one vertex at (0, -r): inside all three edges,
        // each edge at distance r/2 from the centre along the outward normals at 90, 210 and 330 degrees
        double half = 0.5 * r;
        double s3 = Math.sqrt(3) / 2;
        yield v <= half && (-s3 * u - 0.5 * v) <= half && (s3 * u - 0.5 * v) <= half;
      }
    };
  }
}
