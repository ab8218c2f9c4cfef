package dev.jdiffusion.sampling.fid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped extractor and statistics: their hashes, the padding of 28x28 images, and a reference FID
 * between two fixed sets of real Fashion-MNIST images computed independently in numpy/scipy.
 */
class BuiltinExtractorTest {
  private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /**
   * FID between the first 1000 test and the first 1000 training images of Fashion-MNIST under the built-in
   * extractor, as docs/fid.md states it ("A reference FID"). Derived by builtin_reference.py (numpy, float64)
   * and by the Java path below; both must reproduce it.
   */
  static final double REFERENCE_FID = 1.03934;

  private static String sha256(InputStream in) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    for (int r; (r = in.read(buf)) > 0; ) {
      md.update(buf, 0, r);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  @Test
  void shippedFilesHaveTheirPublishedHashes() throws Exception {
    try (InputStream in = BuiltinExtractor.class.getResourceAsStream(BuiltinExtractor.NAME + ".onnx")) {
      assertThat(in).as("the extractor resource").isNotNull();
      assertThat(sha256(in)).isEqualTo(BuiltinExtractor.SHA256);
    }
    try (InputStream in = BuiltinExtractor.class.getResourceAsStream(BuiltinExtractor.TEST_STATISTICS)) {
      assertThat(in).as("the statistics resource").isNotNull();
      assertThat(sha256(in)).isEqualTo(BuiltinExtractor.TEST_STATISTICS_SHA256);
    }
    try (InputStream in = Files.newInputStream(BuiltinExtractor.file())) {
      assertThat(sha256(in)).isEqualTo(BuiltinExtractor.SHA256);
    }
    FeatureStatistics stats = BuiltinExtractor.testStatistics();
    assertThat(stats.dimension()).isEqualTo(128);
    assertThat(stats.count()).hasValue(10_000);
  }

  @Test
  void descriptionNamesTheExtractorItsHashAndThePadding() {
    try (OnnxFeatureExtractor x = BuiltinExtractor.open(OnnxFeatureExtractor.Options.defaults().withThreads(1))) {
      assertThat(x.description()).startsWith(BuiltinExtractor.NAME + " (")
          .contains("sha256 " + BuiltinExtractor.SHA256.substring(0, 12))
          .contains("1x32x32 (28x28 images padded by 2)")
          .contains("D = 128");
      assertThat(x.dimension()).isEqualTo(128);
      assertThat(BuiltinExtractor.accepts(new ImageShape(1, 28, 28))).isTrue();
      assertThat(BuiltinExtractor.accepts(new ImageShape(1, 32, 32))).isTrue();
      assertThat(BuiltinExtractor.accepts(new ImageShape(3, 32, 32))).isFalse();
      assertThat(BuiltinExtractor.accepts(new ImageShape(1, 64, 64))).isFalse();
    }
  }

  /** A 28x28 image is padded with black, exactly as its 32x32 padded copy: equal features. */
  @Test
  void imagesOf28x28ArePaddedLikeTrainingNotResized() {
    Random r = new Random(7);
    int n = 5;
    float[] small = new float[n * 28 * 28];
    for (int i = 0; i < small.length; i++) {
      small[i] = r.nextFloat() * 2 - 1;
    }
    float[] padded = new float[n * 32 * 32];
    java.util.Arrays.fill(padded, -1f);
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < 28; y++) {
        System.arraycopy(small, (i * 28 + y) * 28, padded, (i * 32 + y + 2) * 32 + 2, 28);
      }
    }
    try (OnnxFeatureExtractor x = BuiltinExtractor.open(OnnxFeatureExtractor.Options.defaults().withThreads(1))) {
      double[] a = x.extract(small, n, new ImageShape(1, 28, 28));
      double[] b = x.extract(padded, n, new ImageShape(1, 32, 32));
      assertThat(a).containsExactly(b);
      // and not what a bilinear resize to 32x32 would give
      float[] resized = dev.jdiffusion.sampling.io.ImageTensors.resize(small, n, new ImageShape(1, 28, 28), 32, 32);
      assertThat(x.extract(resized, n, new ImageShape(1, 32, 32))).isNotEqualTo(a);
    }
  }

  /**
   * The reference FID between two fixed image sets (the first 1000 test and the first 1000 training images),
   * from the shipped file, by the Java path (ONNX Runtime features, streamed moments, eigen-decomposition
   * Frechet distance) and by builtin_reference.py (its own numpy evaluation of the graph in float64, numpy's
   * covariance, scipy's sqrtm as pytorch-fid): both equal the published value. Tagged end-to-end: mutation
   * testing leaves it out (its parts have their own tests; it takes most of a minute there).
   */
  @Test
  @Tag("end-to-end")
  void referenceFidBetweenTwoFixedImageSets(@TempDir Path dir) throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    assumeTrue(ci || Files.isDirectory(FASHION_MNIST), "dataset-fashion-mnist is not installed");
    Path script = Path.of(BuiltinExtractorTest.class.getResource("builtin_reference.py").toURI());
    List<String> cmd = List.of(Reference.python(), script.toString(), BuiltinExtractor.file().toString(),
        FASHION_MNIST.toString(), dir.toString(), "1000");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s failed:%n%s", cmd, out).isZero();
    JsonNode py = new ObjectMapper().readTree(out);
    assertThat(py.path("padding").asInt()).isEqualTo(2);
    assertThat(py.path("dimension").asInt()).isEqualTo(128);

    double javaFid;
    try (OnnxFeatureExtractor x = BuiltinExtractor.open(OnnxFeatureExtractor.Options.defaults())) {
      FidInputs.Loaded a = FidInputs.load(dir.resolve("a.npy"), x, false, null);
      FidInputs.Loaded b = FidInputs.load(dir.resolve("b.npy"), x, false, null);
      assertThat(a.statistics().count()).hasValue(1000);
      javaFid = FrechetDistance.compute(a.statistics(), b.statistics()).fid();
    }
    double pyFid = py.path("fid").asDouble();
    // float32 features in ONNX Runtime against float64 in numpy: agree to about 1e-6 relative
    assertThat(javaFid).as("Java against numpy/scipy").isCloseTo(pyFid, within(1e-5 * pyFid));
    assertThat(javaFid).as("Java against the published value").isCloseTo(REFERENCE_FID, within(5e-4));
    assertThat(pyFid).as("numpy/scipy against the published value").isCloseTo(REFERENCE_FID, within(5e-4));
  }
}
