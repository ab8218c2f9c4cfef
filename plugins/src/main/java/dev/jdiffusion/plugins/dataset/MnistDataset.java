package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.dataset.DatasetSource;
import java.io.IOException;

/**
 * MNIST (LeCun, Cortes and Burges, http://yann.lecun.com/exdb/mnist/): the train or test split, 28x28 grayscale with labels 0..9. Where the
 * files are looked for and how they are downloaded is described in {@link IdxCollection}; the split
 * must hold exactly the published number of images.
 */
public final class MnistDataset implements DatasetProvider<MnistDataset.Config> {

  /** {@code {name: mnist, split: train, padding: 2}} */
  public record Config(
      @Param(value = "directory holding the IDX files (gzipped or not); when set, the only place looked",
          defaultValue = "null") String dir,
      @Param(value = "train (60000 images) or test (10000)", defaultValue = "train") String split,
      @Param(value = "number of images to keep, drawn with seed; 0 = all", defaultValue = "0") int subset,
      @Param(value = "black border in pixels added on every side, >= 0 (2 turns 28x28 into 32x32)",
          defaultValue = "0") int padding,
      @Param(value = "random horizontal flip in the batch pipeline", defaultValue = "false") boolean flip,
      @Param(value = "seed of the subset draw", defaultValue = "0") long seed,
      @Param(value = "download into cacheDir (checksums verified) when no copy is found", defaultValue = "true")
          boolean download,
      @Param(value = "download cache; null = $JDIFFUSION_CACHE/datasets/mnist or ~/.cache/jdiffusion/datasets/mnist",
          defaultValue = "null") String cacheDir,
      @Param(value = "where to download the .gz files from", defaultValue = "https://ossci-datasets.s3.amazonaws.com/mnist/")
          String baseUrl)
      implements DatasetConfig {
    public Config {
      Options.optionalPath("dir", dir);
      Splits.check(split);
      Require.atLeast("subset", subset, 0);
      Require.atLeast("padding", padding, 0);
      Options.optionalPath("cacheDir", cacheDir);
      Options.requireUrl("baseUrl", baseUrl);
    }
  }

  @Override
  public String id() {
    return "mnist";
  }

  @Override
  public String description() {
    return "MNIST digits (LeCun et al. 1998): 60000/10000 28x28 grayscale, 10 classes; found or downloaded";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public DatasetSource open(Config c) throws IOException {
    return IdxCollection.MNIST.open(c.split(), c.dir(), c.cacheDir(), c.download(), c.baseUrl(),
        new Preprocessing(c.subset(), c.padding(), c.flip(), c.seed()));
  }
}
