package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.fid.FeatureMatrix;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FidCommandTest {

  static FeatureMatrix gaussian(long seed, int n, int d, double shift) {
    Random r = new Random(seed);
    double[] x = new double[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = shift + r.nextGaussian() * (1 + (i % d) * 0.1);
    }
    return new FeatureMatrix(n, d, x);
  }

  /**
   * Rows {@code x_r = mean + scale * h_r}, with {@code h_r} row r of columns 1 .. D of the Sylvester-Hadamard
   * matrix of order N (entry (r, j) = (-1)^popcount(r & j)): those columns are orthogonal and sum to 0, so
   * the sample mean is {@code mean} and the sample covariance (divisor N - 1) is exactly
   * {@code diag(scale^2 N / (N - 1))}.
   */
  static FeatureMatrix hadamard(int n, double[] mean, double[] scale) {
    int d = mean.length;
    double[] x = new double[n * d];
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < d; i++) {
        x[r * d + i] = mean[i] + scale[i] * (Integer.bitCount(r & (i + 1)) % 2 == 0 ? 1 : -1);
      }
    }
    return new FeatureMatrix(n, d, x);
  }

  /** FID of two Gaussians with diagonal covariances: |mu_a - mu_b|^2 + sum (sqrt(va) - sqrt(vb))^2. */
  static double diagonalFid(double[] muA, double[] varA, double[] muB, double[] varB) {
    double fid = 0;
    for (int i = 0; i < muA.length; i++) {
      double dm = muA[i] - muB[i];
      double ds = Math.sqrt(varA[i]) - Math.sqrt(varB[i]);
      fid += dm * dm + ds * ds;
    }
    return fid;
  }

  static double printedFid(String out) {
    Matcher m = Pattern.compile("FID = ([0-9.]+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void featuresAndStatisticsFromFiles(@TempDir Path dir) throws Exception {
    double[] muA = {0.5, -1.25, 2, 0, 0.75, 1};
    double[] scaleA = {1, 0.5, 2, 1.5, 0.25, 3};
    double[] muB = {0, -1, 2.5, 0.5, 0.75, -1};
    double[] scaleB = {2, 0.5, 1, 0.75, 0.5, 3};
    int na = 256;
    int nb = 128;
    FeatureMatrix fa = hadamard(na, muA, scaleA);
    FeatureMatrix fb = hadamard(nb, muB, scaleB);
    fa.save(dir.resolve("a.npy"), Npy.FLOAT32); // these values are exact in float32
    fb.save(dir.resolve("b.npy"), Npy.FLOAT64);
    double[] varA = new double[6];
    double[] varB = new double[6];
    for (int i = 0; i < 6; i++) {
      varA[i] = scaleA[i] * scaleA[i] * na / (na - 1);
      varB[i] = scaleB[i] * scaleB[i] * nb / (nb - 1);
    }
    double expected = diagonalFid(muA, varA, muB, varB);

    var r = WeightsCommandTest.run("fid", dir.resolve("a.npy").toString(), dir.resolve("b.npy").toString(), "--kid",
        "--kid-subsets", "5", "--kid-subset-size", "100", "--save-stats-a", dir.resolve("a.npz").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    // printed to 6 decimals; the closed form is exact, the eigen route good to ~1e-12 relative
    assertThat(printedFid(r.out())).isCloseTo(expected, within(5.1e-7));
    assertThat(r.out())
        .containsPattern("FID = [0-9]+\\.[0-9]{6}\\R")
        .contains("A: " + dir.resolve("a.npy") + " (feature vectors, N = 256, D = 6)")
        .contains("features: features as given in a.npy (extractor unknown to jdiffusion)")
        .containsPattern("KID = [0-9.e-]+ \\+- [0-9.e-]+ \\(mean \\+- std over 5 subsets of 100, seed 2020")
        .contains("comparable only between runs with the same extractor");
    assertThat(r.err()).doesNotContain("warning");

    var fromStats = WeightsCommandTest.run("fid", dir.resolve("a.npz").toString(), dir.resolve("b.npy").toString());
    assertThat(fromStats.exit()).as(fromStats.err()).isZero();
    assertThat(printedFid(fromStats.out())).isCloseTo(expected, within(5.1e-7));
    assertThat(fromStats.out()).contains("A: " + dir.resolve("a.npz") + " (statistics, N = 256, D = 6)");

    var kidOfStats = WeightsCommandTest.run("fid", dir.resolve("a.npz").toString(), dir.resolve("b.npy").toString(),
        "--kid");
    assertThat(kidOfStats.exit()).isEqualTo(2);
    assertThat(kidOfStats.err()).contains("a.npz: KID needs feature vectors, but this .npz holds only statistics");
  }

  @Test
  void warnsAboutSingularCovariancesAndRefusesMismatchedDimensions(@TempDir Path dir) throws Exception {
    gaussian(1, 5, 6, 0).save(dir.resolve("few.npy"), Npy.FLOAT64);
    gaussian(2, 50, 6, 0).save(dir.resolve("many.npy"), Npy.FLOAT64);
    gaussian(3, 50, 4, 0).save(dir.resolve("d4.npy"), Npy.FLOAT64);
    var r = WeightsCommandTest.run("fid", dir.resolve("few.npy").toString(), dir.resolve("many.npy").toString());
    assertThat(r.exit()).isZero();
    assertThat(r.err()).contains("warning: A: N = 5 samples <= D = 6 feature dimensions");
    var bad = WeightsCommandTest.run("fid", dir.resolve("many.npy").toString(), dir.resolve("d4.npy").toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("A has features of dimension 6 and B of 4");
  }

  @Test
  void imagesGoThroughTheExtractorWhichTheOutputNames(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("tiny.onnx");
    OnnxGraphBuilder g = new OnnxGraphBuilder("tiny_extractor");
    g.input("images", DataType.FLOAT, -1, 3, 4, 4);
    String w = g.floats("w", new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}, 4, 3, 1, 1);
    String conv = g.node("Conv", new String[] {"images", w}, "kernel_shape", new long[] {1, 1});
    String pooled = g.node("GlobalAveragePool", new String[] {conv});
    g.nodeInto("Flatten", new String[] {pooled}, "features", "axis", 1L);
    g.output("features", DataType.FLOAT, -1, 4);
    OnnxGraphBuilder.write(g.metadata("jdiffusion.extractor.name", "tiny-rgb").build("test"), model);

    Random r = new Random(9);
    float[] images = new float[40 * 16];
    for (int i = 0; i < images.length; i++) {
      images[i] = r.nextFloat() * 2 - 1;
    }
    Npy.write(dir.resolve("samples.npy"), NpyArray.float32(images, 40, 1, 4, 4));
    Path folder = dir.resolve("real");
    Files.createDirectories(folder);
    for (int i = 0; i < 30; i++) {
      var img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
      for (int p = 0; p < 64; p++) {
        img.setRGB(p % 8, p / 8, r.nextInt(1 << 24));
      }
      javax.imageio.ImageIO.write(img, "png", folder.resolve("r" + i + ".png").toFile());
    }
    var noExtractor = WeightsCommandTest.run("fid", dir.resolve("samples.npy").toString(), folder.toString());
    assertThat(noExtractor.exit()).isEqualTo(2);
    // 4x4 images are not what the built-in extractor takes (grayscale 28x28 or 32x32)
    assertThat(noExtractor.err()).contains("samples.npy): images of 1x4x4 need --extractor MODEL.onnx");

    var ok = WeightsCommandTest.run("fid", dir.resolve("samples.npy").toString(), folder.toString(),
        "--extractor", model.toString(), "--kid", "--kid-subset-size", "20", "--kid-subsets", "3");
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("(images (.npy), N = 40, D = 4)").contains("(image folder, N = 30, D = 4)")
        .contains("features: tiny-rgb (tiny.onnx, sha256 ")
        .contains("input 'images' 3x4x4 in [-1, 1], output 'features', D = 4)")
        .containsPattern("FID = [0-9]+\\.[0-9]{6}")
        .doesNotContain("were not produced by one known extractor");
  }
}
