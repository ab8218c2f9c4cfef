package dev.jdiffusion.plugins.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.core.Limits;
import dev.jdiffusion.spi.InvalidParameterException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sizes that cannot fit fail at once with the field named, instead of an overflow or OutOfMemoryError later. */
class DatasetLimitsTest {

  @Test
  void anImageSideAboveTheLimitIsAConfigurationError() {
    assertThatThrownBy(() -> Datasets.config("{name: synthetic, size: 100000}"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("test: size: value 100000 is not allowed: must be <= " + Limits.MAX_IMAGE_SIDE
            + " (dataset 'synthetic')");
    assertThatThrownBy(() -> Datasets.config("{name: image-folder, dir: x, size: 5000}"))
        .hasMessageStartingWith("test: size: value 5000 is not allowed: must be <= 4096");
  }

  @Test
  void aDatasetLargerThanTheHeapIsRefusedBeforeAnythingIsAllocated() {
    long heap = Runtime.getRuntime().maxMemory();
    assertThatThrownBy(() -> Datasets.open("{name: synthetic, count: 2000000000, size: 32}"))
        .isInstanceOf(InvalidParameterException.class)
        .hasMessage("count = 2000000000 is not allowed: must be small enough that 2000000000 images of 1x32x32"
            + " (" + Limits.bytes(2_000_000_000L * (1024 + 4)) + ") fit in the JVM's heap of " + Limits.bytes(heap)
            + " (raise it with -Xmx, e.g. JAVA_OPTS=-Xmx16g)");
  }

  @Test
  void paddingThatMakesImagesTooLargeIsNamed() {
    assertThatThrownBy(() -> Datasets.open("{name: synthetic, count: 2, size: 8, padding: 100000}"))
        .isInstanceOf(InvalidParameterException.class)
        .hasMessage("padding = 100000 is not allowed: must be at most 2044 for images of 1x8x8 (padded images are"
            + " at most 4096 pixels a side)");
  }

  @Test
  void aMissingFashionMnistSaysHowToGetIt(@TempDir Path tmp) {
    IdxCollection c = new IdxCollection("fashion-mnist", List.of(tmp.resolve("system")),
        IdxCollection.FASHION_MNIST.baseUrl(), IdxCollection.FASHION_MNIST.train(), IdxCollection.FASHION_MNIST.test(),
        28, 28, 10);
    assertThatThrownBy(() -> c.locate(c.train(), null, tmp.resolve("cache"), true, "http://127.0.0.1:9/"))
        .hasMessageStartingWith("fashion-mnist: no copy of train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]"
            + " in " + tmp.resolve("system") + ", " + tmp.resolve("cache") + ", and the download failed: ")
        .hasMessageEndingWith("; to get the data, install the Debian package dataset-fashion-mnist (apt-get install"
            + " dataset-fashion-mnist), set dataset.dir to a directory holding train-images-idx3-ubyte[.gz] and"
            + " train-labels-idx1-ubyte[.gz], or train on generated images with dataset: {name: synthetic}")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }
}
