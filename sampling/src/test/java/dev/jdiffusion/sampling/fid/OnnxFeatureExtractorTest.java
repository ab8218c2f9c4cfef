package dev.jdiffusion.sampling.fid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX Runtime extractor on a tiny model built here: a 1x1 convolution to 3 channels (weights w, bias b)
 * and a global average pool, so that the feature k of an image is {@code w_k * mean(pixels) + b_k} in the
 * model's pixel range, which the test computes by hand. Tolerance: float32 inference, 1e-5.
 */
class OnnxFeatureExtractorTest {
  static final float[] W = {1f, 2f, -1f};
  static final float[] B = {0f, 0.5f, 0.25f};
  @TempDir static Path models;
  static Path tiny;
  static Path bare;

  @BeforeAll
  static void buildModels() throws Exception {
    tiny = models.resolve("tiny.onnx");
    // The keys jdiffusion's classifier exporter writes (ClassifierExporter.metadata).
    OnnxGraphBuilder.write(model(Map.of("jdiffusion.extractor.format_version", "1",
        "jdiffusion.extractor.output", "pool", "jdiffusion.extractor.input", "images",
        "jdiffusion.extractor.pixel_min", "0", "jdiffusion.extractor.pixel_max", "1",
        "jdiffusion.extractor.name", "tiny-test", "jdiffusion.extractor.size", "8",
        "jdiffusion.extractor.dataset", "noise", "jdiffusion.extractor.test_accuracy", "0.5000")), tiny);
    bare = models.resolve("bare.onnx");
    OnnxGraphBuilder.write(model(Map.of()), bare);
  }

  static ai.onnx.proto.OnnxMl.ModelProto model(Map<String, String> metadata) {
    OnnxGraphBuilder g = new OnnxGraphBuilder("tiny_extractor");
    g.input("images", DataType.FLOAT, -1, 1, 8, 8);
    String w = g.floats("w", W, 3, 1, 1, 1);
    String b = g.floats("b", B, 3);
    String conv = g.node("Conv", new String[] {"images", w, b}, "kernel_shape", new long[] {1, 1});
    g.nodeInto("GlobalAveragePool", new String[] {conv}, "pool");
    g.nodeInto("Flatten", new String[] {"pool"}, "logits", "axis", 1L);
    g.output("pool", DataType.FLOAT, -1, 3, 1, 1);
    g.output("logits", DataType.FLOAT, -1, 3);
    g.metadata(metadata);
    return g.build("test");
  }

  /** Features by hand: pixels mapped from [-1, 1] to [0, 1], averaged, then w * mean + b. */
  static double[] expected(float[] images, int n, int size) {
    double[] f = new double[n * 3];
    for (int i = 0; i < n; i++) {
      double mean = 0;
      for (int p = 0; p < size; p++) {
        mean += (images[i * size + p] + 1) / 2;
      }
      mean /= size;
      for (int k = 0; k < 3; k++) {
        f[i * 3 + k] = W[k] * mean + B[k];
      }
    }
    return f;
  }

  static float[] random(long seed, int count) {
    Random r = new Random(seed);
    float[] x = new float[count];
    for (int i = 0; i < count; i++) {
      x[i] = r.nextFloat() * 2 - 1;
    }
    return x;
  }

  @Test
  void readsItsSettingsFromTheModelAndComputesFeatures() {
    try (OnnxFeatureExtractor x = OnnxFeatureExtractor.open(tiny, OnnxFeatureExtractor.Options.defaults().withBatch(4))) {
      assertThat(x.dimension()).isEqualTo(3);
      assertThat(x.inputShape()).isEqualTo(new ImageShape(1, 8, 8));
      assertThat(x.description()).startsWith("tiny-test (tiny.onnx, sha256 ")
          .endsWith(", trained on noise (test accuracy 0.5000), input 'images' 1x8x8 in [0, 1], output 'pool', D = 3)");
      float[] images = random(1, 10 * 64);
      assertThat(x.extract(images, 10, new ImageShape(1, 8, 8))).containsExactly(expected(images, 10, 64), within(1e-5));
    }
  }

  @Test
  void resizesAndConvertsChannels() {
    try (OnnxFeatureExtractor x = OnnxFeatureExtractor.open(tiny, OnnxFeatureExtractor.Options.defaults())) {
      // Halving 16x16 bilinearly with half-pixel centres averages 2x2 blocks: the mean is kept exactly.
      float[] big = random(2, 3 * 256);
      assertThat(x.extract(big, 3, new ImageShape(1, 16, 16))).containsExactly(expected(big, 3, 256), within(1e-5));
      // RGB in, luma out: a gray RGB image (R = G = B) gives the gray image's features.
      float[] gray = random(3, 2 * 64);
      float[] rgb = new float[2 * 3 * 64];
      for (int i = 0; i < 2; i++) {
        for (int c = 0; c < 3; c++) {
          System.arraycopy(gray, i * 64, rgb, (i * 3 + c) * 64, 64);
        }
      }
      assertThat(x.extract(rgb, 2, new ImageShape(3, 8, 8))).containsExactly(expected(gray, 2, 64), within(1e-5));
    }
  }

  @Test
  void optionsOverrideTheModel() {
    var o = OnnxFeatureExtractor.Options.defaults().withOutput("logits").withPixelRange(-1, 1);
    try (OnnxFeatureExtractor x = OnnxFeatureExtractor.open(tiny, o)) {
      assertThat(x.description()).contains("in [-1, 1], output 'logits'");
      float[] images = random(4, 64);
      double mean = 0;
      for (float v : images) {
        mean += v;
      }
      mean /= 64;
      assertThat(x.extract(images, 1, new ImageShape(1, 8, 8)))
          .containsExactly(new double[] {W[0] * mean + B[0], W[1] * mean + B[1], W[2] * mean + B[2]}, within(1e-5));
    }
  }

  @Test
  void errorsNameTheModelAndWhatIsMissing() throws Exception {
    assertThatThrownBy(() -> OnnxFeatureExtractor.open(bare, OnnxFeatureExtractor.Options.defaults()))
        .isInstanceOf(FeatureExtractionException.class)
        .hasMessageStartingWith(bare + ": the model has 2 outputs [")
        .hasMessageContaining("name the feature output (option, or metadata jdiffusion.extractor.output)");
    assertThatThrownBy(() -> OnnxFeatureExtractor.open(bare, OnnxFeatureExtractor.Options.defaults().withOutput("fc")))
        .hasMessageStartingWith(bare + ": the model has no output named 'fc'; its outputs are [");
    assertThatThrownBy(() -> OnnxFeatureExtractor.open(bare,
        OnnxFeatureExtractor.Options.defaults().withOutput("pool").withSize(299, 299)))
        .hasMessage(bare + ": input height 299 was asked for, but the model declares 8");
    Path future = models.resolve("future.onnx");
    OnnxGraphBuilder.write(model(Map.of("jdiffusion.extractor.format_version", "2")), future);
    assertThatThrownBy(() -> OnnxFeatureExtractor.open(future, OnnxFeatureExtractor.Options.defaults()))
        .hasMessage(future + ": metadata jdiffusion.extractor.format_version = '2' is not supported (this reader"
            + " reads 1)");
    Path none = models.resolve("none.onnx");
    assertThatThrownBy(() -> OnnxFeatureExtractor.open(none, OnnxFeatureExtractor.Options.defaults()))
        .hasMessage(none + ": no such feature extractor model");
  }

  @Test
  void imageFoldersAndImageArraysGoThroughTheExtractor(@TempDir Path dir) throws Exception {
    int n = 12;
    float[] pixels = new float[n * 64];
    Random r = new Random(5);
    Path folder = dir.resolve("images");
    java.nio.file.Files.createDirectories(folder);
    for (int i = 0; i < n; i++) {
      BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
      for (int p = 0; p < 64; p++) {
        int v = r.nextInt(256);
        img.getRaster().setSample(p % 8, p / 8, 0, v);
        pixels[i * 64 + p] = (float) (v / 255.0 * 2 - 1);
      }
      ImageIO.write(img, "png", folder.resolve(String.format("img_%03d.png", i)).toFile());
    }
    java.nio.file.Files.writeString(folder.resolve("notes.txt"), "not an image");
    Npy.write(dir.resolve("images.npy"), NpyArray.float32(pixels, n, 1, 8, 8));
    FeatureStatistics want = new FeatureMatrix(n, 3, expected(pixels, n, 64)).statistics();
    try (OnnxFeatureExtractor x = OnnxFeatureExtractor.open(tiny, OnnxFeatureExtractor.Options.defaults())) {
      for (Path input : new Path[] {folder, dir.resolve("images.npy")}) {
        FidInputs.Loaded got = FidInputs.load(input, x, true, null);
        assertThat(got.origin()).isEqualTo(x.description());
        assertThat(got.statistics().count()).hasValue(n);
        assertThat(got.statistics().mu()).containsExactly(want.mu(), within(1e-5));
        assertThat(got.statistics().sigma()).containsExactly(want.sigma(), within(1e-5));
        assertThat(got.features()).hasValueSatisfying(f -> assertThat(f.rows()).isEqualTo(n));
      }
    }
    assertThatThrownBy(() -> FidInputs.load(folder, null, false, null))
        .hasMessage(folder + ": image folder need a feature extractor (an ONNX model) to compute features");
  }
}
