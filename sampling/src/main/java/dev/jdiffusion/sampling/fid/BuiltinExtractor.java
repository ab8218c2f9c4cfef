package dev.jdiffusion.sampling.fid;

import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * The FID feature extractor that ships with jdiffusion for grayscale 28x28 and 32x32 images such as
 * Fashion-MNIST, and the reference statistics of the Fashion-MNIST test split under it. Every user scores
 * with the same weights, so FIDs computed with it are comparable between machines; its
 * {@link OnnxFeatureExtractor#description() description} carries the name {@value #NAME} and the first 12
 * hex digits of {@link #SHA256}.
 *
 * <p>The network is the 4-convolution classifier of {@code ./diffusion extractor} (128 features from its
 * penultimate layer), trained once on the 60000 Fashion-MNIST training images padded to 32x32 and shipped
 * as a class-path resource; docs/fid.md gives the command that produced it. Its metadata asks for 28x28
 * images to be padded by 2 black pixels, as in training, rather than resized.
 *
 * <p>The resources are verified against their SHA-256 before use: a changed file is an error, never a
 * silently different FID.
 */
public final class BuiltinExtractor {
  /** The extractor's name, as its metadata and every FID report give it. */
  public static final String NAME = "fashion-mnist-cnn32-v1";
  /** SHA-256 of the shipped ONNX file. */
  public static final String SHA256 = "8177308f05ffc60e5e4173d085bb276de561e14524eb325f572903ee7c9a0980";
  /** The shipped statistics: all 10000 Fashion-MNIST test images, padded to 32x32, under this extractor. */
  public static final String TEST_STATISTICS = "fashion-mnist-test32-v1.npz";
  /** SHA-256 of {@link #TEST_STATISTICS}. */
  public static final String TEST_STATISTICS_SHA256 =
      "303a84f947a4a66eb1d7c1f4c22369cf9a401f6d874c8ef614e1bfdc41a74771";

  private static final String MODEL_RESOURCE = NAME + ".onnx";

  private BuiltinExtractor() {}

  /** Whether images of this shape are scored by the built-in extractor: 1x28x28 (padded) or 1x32x32. */
  public static boolean accepts(ImageShape shape) {
    return shape.channels() == 1 && shape.height() == shape.width()
        && (shape.height() == 28 || shape.height() == 32);
  }

  /**
   * Whether the built-in extractor is the one for a dataset: Fashion-MNIST, as 28x28 images or padded by 2 to
   * 32x32 (the images it was trained on).
   *
   * @param name the dataset plugin's id
   * @param padding its {@code padding} option
   */
  public static boolean coversDataset(String name, int padding) {
    return "fashion-mnist".equals(name) && (padding == 0 || padding == 2);
  }

  /**
   * The ONNX file, copied from the class path into the cache directory on first use
   * ({@code $JDIFFUSION_CACHE/extractors}, else {@code $XDG_CACHE_HOME/jdiffusion/extractors}, else
   * {@code ~/.cache/jdiffusion/extractors}) and checked against {@link #SHA256}.
   *
   * @throws FeatureExtractionException when the resource is missing or its hash differs
   * @throws UncheckedIOException when the cache cannot be written
   */
  public static Path file() {
    Path file = cacheDirectory().resolve(NAME + "-" + SHA256.substring(0, 12) + ".onnx");
    try {
      if (!Files.isRegularFile(file) || !SHA256.equals(OnnxFeatureExtractor.sha256(file))) {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), NAME, ".tmp");
        try {
          try (InputStream in = resource(MODEL_RESOURCE)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
          }
          verify(tmp, MODEL_RESOURCE, SHA256);
          try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
          }
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the built-in FID extractor to " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  /** Opens the built-in extractor with the given options (threads, batch). */
  public static OnnxFeatureExtractor open(OnnxFeatureExtractor.Options options) {
    return OnnxFeatureExtractor.open(file(), options);
  }

  /**
   * The statistics of the whole Fashion-MNIST test split (10000 images, padded to 32x32) under the built-in
   * extractor, as shipped ({@link #TEST_STATISTICS}, checked against {@link #TEST_STATISTICS_SHA256}).
   */
  public static FeatureStatistics testStatistics() {
    try {
      Path tmp = Files.createTempFile("jdiffusion-" + NAME, ".npz");
      try {
        try (InputStream in = resource(TEST_STATISTICS)) {
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        verify(tmp, TEST_STATISTICS, TEST_STATISTICS_SHA256);
        return FeatureStatistics.load(tmp);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the built-in statistics " + TEST_STATISTICS + ": " + e.getMessage(),
          e);
    }
  }

  /** A one-line name of the shipped statistics for reports: the file and its hash. */
  public static String testStatisticsDescription() {
    return String.format(Locale.ROOT, "%s (built in, sha256 %s; 10000 Fashion-MNIST test images padded to 32x32,"
        + " extractor %s)", TEST_STATISTICS, TEST_STATISTICS_SHA256.substring(0, 12), NAME);
  }

  private static InputStream resource(String name) {
    InputStream in = BuiltinExtractor.class.getResourceAsStream(name);
    if (in == null) {
      throw new FeatureExtractionException("the built-in FID resource " + name + " is missing from the class path"
          + " (dev/jdiffusion/sampling/fid/" + name + " in jdiffusion-sampling)");
    }
    return in;
  }

  private static void verify(Path file, String name, String expected) {
    String actual = OnnxFeatureExtractor.sha256(file);
    if (!actual.equals(expected)) {
      throw new FeatureExtractionException("the built-in FID resource " + name + " has SHA-256 " + actual
          + ", expected " + expected + ": the jar is damaged or was built from changed sources");
    }
  }

  private static Path cacheDirectory() {
    String own = System.getenv("JDIFFUSION_CACHE");
    if (own != null && !own.isBlank()) {
      return Path.of(own, "extractors");
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "jdiffusion", "extractors");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "jdiffusion", "extractors");
  }
}
