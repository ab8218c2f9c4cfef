package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jdiffusion.sampling.fid.BuiltinExtractor;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./diffusion stats} and {@code ./diffusion fid --reference}: statistics of datasets, folders and arrays. */
class StatsCommandTest {
  private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /** Largest |a - b| over mu and sigma, relative to the largest |value| of each. */
  static double relativeDifference(FeatureStatistics a, FeatureStatistics b) {
    return Math.max(maxDiff(a.mu(), b.mu()), maxDiff(a.sigma(), b.sigma()));
  }

  private static double maxDiff(double[] a, double[] b) {
    assertThat(a).hasSameSizeAs(b);
    double scale = 0;
    double diff = 0;
    for (int i = 0; i < a.length; i++) {
      scale = Math.max(scale, Math.abs(a[i]));
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
    }
    return diff / scale;
  }

  /** The same statistics whatever the number of ONNX Runtime threads (to float rounding of the features). */
  @Test
  void twoThreadCountsWriteTheSameStatistics(@TempDir Path dir) throws Exception {
    String spec = "synthetic:count=400,size=32,channels=1,split=test";
    var one = WeightsCommandTest.run("stats", spec, "--threads", "1", "--out", dir.resolve("t1.npz").toString());
    assertThat(one.exit()).as(one.err()).isZero();
    var two = WeightsCommandTest.run("stats", spec, "--threads", "2", "--batch", "7", "--out",
        dir.resolve("t2.npz").toString());
    assertThat(two.exit()).as(two.err()).isZero();
    assertThat(one.out()).contains("INPUT: " + spec + " (dataset, N = 400, D = 128)")
        .contains("features: " + BuiltinExtractor.NAME + " (").contains("sha256 " + BuiltinExtractor.SHA256.substring(0, 12))
        .contains("wrote " + dir.resolve("t1.npz"));
    FeatureStatistics a = FeatureStatistics.load(dir.resolve("t1.npz"));
    FeatureStatistics b = FeatureStatistics.load(dir.resolve("t2.npz"));
    assertThat(a.count()).hasValue(400);
    assertThat(relativeDifference(a, b)).isLessThan(1e-6);
    assertThat(FrechetDistance.compute(a, b).fid()).isLessThan(1e-6);
  }

  /** An .npy of images and a folder of the same images (as PNG) give the same statistics. */
  @Test
  void imageArraysAndFoldersOfTheSameImages(@TempDir Path dir) throws Exception {
    Random r = new Random(3);
    int n = 60;
    float[] px = new float[n * 28 * 28];
    for (int i = 0; i < px.length; i++) {
      px[i] = Math.round(r.nextFloat() * 255) / 127.5f - 1; // exactly representable in 8-bit PNGs
    }
    Path npy = dir.resolve("images.npy");
    Npy.write(npy, NpyArray.float32(px, n, 1, 28, 28));
    Path folder = Files.createDirectories(dir.resolve("png"));
    for (int i = 0; i < n; i++) {
      var img = new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          img.getRaster().setSample(x, y, 0, Math.round((px[i * 784 + y * 28 + x] + 1) * 127.5f));
        }
      }
      javax.imageio.ImageIO.write(img, "png", folder.resolve(String.format(Locale.ROOT, "%03d.png", i)).toFile());
    }
    var fromNpy = WeightsCommandTest.run("stats", npy.toString(), "--out", dir.resolve("a.npz").toString());
    assertThat(fromNpy.exit()).as(fromNpy.err()).isZero();
    var fromFolder = WeightsCommandTest.run("stats", folder.toString(), "--out", dir.resolve("b.npz").toString());
    assertThat(fromFolder.exit()).as(fromFolder.err()).isZero();
    assertThat(fromFolder.out()).contains("(image folder, N = 60, D = 128)");
    assertThat(relativeDifference(FeatureStatistics.load(dir.resolve("a.npz")),
        FeatureStatistics.load(dir.resolve("b.npz")))).isLessThan(1e-6);
    // N = 60 < D = 128: said, not hidden
    assertThat(fromNpy.err()).contains("warning: N = 60 samples <= D = 128");
  }

  @Test
  void mistakesAreOneLineAndFailBeforeAnyWork(@TempDir Path dir) throws Exception {
    Path blocker = Files.writeString(dir.resolve("a-file"), "x");
    var unwritable = WeightsCommandTest.run("stats", "synthetic:count=50", "--out", blocker.resolve("sub/x.npz").toString());
    assertThat(unwritable.exit()).isEqualTo(2);
    assertThat(unwritable.err()).startsWith("error: --out " + blocker.resolve("sub/x.npz") + ": cannot write")
        .doesNotContain("Exception");

    var unknown = WeightsCommandTest.run("stats", "fashion-mnistt:split=test", "--out", dir.resolve("x.npz").toString());
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("INPUT: 'fashion-mnistt:split=test' is neither a file or folder nor a dataset");

    var rgb = WeightsCommandTest.run("stats", "synthetic:count=50,channels=3", "--out", dir.resolve("x.npz").toString());
    assertThat(rgb.exit()).isEqualTo(2);
    assertThat(rgb.err()).contains("images of 3x32x32 need --extractor MODEL.onnx");

    var both = WeightsCommandTest.run("fid", "a.npy", "b.npy", "--reference", "fashion-mnist:split=test");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("give either B (b.npy) or --reference (fashion-mnist:split=test), not both");
  }

  /**
   * The shipped statistics of the Fashion-MNIST test split are what {@code stats} computes from the real
   * data, to float rounding; {@code fid --reference fashion-mnist:split=test} uses them and names them.
   */
  @Test
  void shippedTestStatisticsAreReproducedFromTheData(@TempDir Path dir) throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    assumeTrue(ci || Files.isDirectory(FASHION_MNIST), "dataset-fashion-mnist is not installed");
    var r = WeightsCommandTest.run("stats", "fashion-mnist:split=test,padding=2", "--threads", "1", "--out",
        dir.resolve("test.npz").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    FeatureStatistics computed = FeatureStatistics.load(dir.resolve("test.npz"));
    FeatureStatistics shipped = BuiltinExtractor.testStatistics();
    assertThat(computed.count()).hasValue(10_000);
    assertThat(relativeDifference(computed, shipped)).isLessThan(1e-6);

    // Unpadded 28x28 images are padded by the extractor: the same statistics.
    var unpadded = WeightsCommandTest.run("stats", "fashion-mnist:split=test", "--out", dir.resolve("t28.npz").toString());
    assertThat(unpadded.exit()).as(unpadded.err()).isZero();
    assertThat(relativeDifference(FeatureStatistics.load(dir.resolve("t28.npz")), shipped)).isLessThan(1e-6);

    // fid against the dataset uses the shipped file and says so; the same FID as against the computed file
    float[] px = new float[300 * 28 * 28];
    Random rnd = new Random(1);
    for (int i = 0; i < px.length; i++) {
      px[i] = rnd.nextFloat() < 0.7 ? -1f : rnd.nextFloat();
    }
    Npy.write(dir.resolve("gen.npy"), NpyArray.float32(px, 300, 1, 28, 28));
    var fid = WeightsCommandTest.run("fid", dir.resolve("gen.npy").toString(), "--reference", "fashion-mnist:split=test");
    assertThat(fid.exit()).as(fid.err()).isZero();
    assertThat(fid.out()).contains("B: fashion-mnist:split=test [" + BuiltinExtractor.TEST_STATISTICS + " (built in, sha256 "
        + BuiltinExtractor.TEST_STATISTICS_SHA256.substring(0, 12)).doesNotContain("note: A's and B's features do not");
    var fidFile = WeightsCommandTest.run("fid", dir.resolve("gen.npy").toString(), dir.resolve("test.npz").toString());
    assertThat(fidFile.exit()).as(fidFile.err()).isZero();
    assertThat(fidValue(fid.out())).isCloseTo(fidValue(fidFile.out()), org.assertj.core.api.Assertions.within(1e-4));
  }

  private static double fidValue(String out) {
    Matcher m = Pattern.compile("FID = ([0-9.]+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
