package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.dataset.DatasetSource;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Any pair of MNIST-format IDX files, gzipped or not: an {@code idx3-ubyte} image file and, optionally,
 * an {@code idx1-ubyte} label file with one label per image (format in {@link IdxReader}).
 */
public final class IdxDataset implements DatasetProvider<IdxDataset.Config> {

  /** {@code {name: idx, images: data/train-images-idx3-ubyte.gz, labels: data/train-labels-idx1-ubyte.gz}} */
  public record Config(
      @Param("path of the idx3-ubyte image file, gzipped or not") String images,
      @Param(value = "path of the idx1-ubyte label file, or null for none", defaultValue = "null") String labels,
      @Param(value = "number of images to keep, drawn with seed; 0 = all", defaultValue = "0") int subset,
      @Param(value = "black border in pixels added on every side, >= 0 (2 turns 28x28 into 32x32)",
          defaultValue = "0") int padding,
      @Param(value = "random horizontal flip in the batch pipeline", defaultValue = "false") boolean flip,
      @Param(value = "seed of the subset draw", defaultValue = "0") long seed)
      implements DatasetConfig {
    public Config {
      Options.requirePath("images", images);
      Require.atLeast("subset", subset, 0);
      Require.atLeast("padding", padding, 0);
    }
  }

  @Override
  public String id() {
    return "idx";
  }

  @Override
  public String description() {
    return "MNIST-format IDX files (idx3-ubyte images, optional idx1-ubyte labels), gzipped or raw";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public DatasetSource open(Config c) throws IOException {
    Path images = Path.of(c.images());
    ByteImages data = IdxReader.read(images, c.labels() == null ? null : Path.of(c.labels()));
    return new Preprocessing(c.subset(), c.padding(), c.flip(), c.seed()).apply(data, images.toString());
  }
}
