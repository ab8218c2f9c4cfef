package dev.jdiffusion.spark;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.jdiffusion.exporter.onnx.GaussianOracle;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/** Small ONNX models for tests: the exact denoiser of Gaussian data, and a random nonlinear feature extractor. */
final class TestModels {
  static final ImageShape SHAPE = new ImageShape(1, 4, 4);
  static final int FEATURES = 6;

  private TestModels() {}

  /** The exact denoiser of N(0, 0.5^2) images on DDPM's linear schedule. */
  static Path oracle(Path dir) throws IOException {
    double[] betas = new double[1000];
    for (int i = 0; i < 1000; i++) {
      betas[i] = 1e-4 + (0.02 - 1e-4) * i / 999;
    }
    NoiseSchedule linear = NoiseSchedule.fromBetas(betas);
    Path model = dir.resolve("oracle.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(linear, 0.5, SHAPE, GaussianOracle.metadata(linear, SHAPE)), model);
    return model;
  }

  /**
   * features = tanh(flatten(images) W + b) with a fixed random W [16, 6]: full-rank, nonlinear features, so
   * that the covariance is well conditioned and FID is a real matrix computation.
   */
  static Path extractor(Path dir) throws IOException {
    Random r = new Random(42);
    float[] w = new float[SHAPE.size() * FEATURES];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() / 2);
    }
    float[] b = new float[FEATURES];
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (r.nextGaussian() / 4);
    }
    OnnxGraphBuilder g = new OnnxGraphBuilder("test_extractor");
    g.input("images", DataType.FLOAT, -1, 1, 4, 4);
    String flat = g.node("Flatten", new String[] {"images"}, "axis", 1L);
    String wName = g.floats("w", w, SHAPE.size(), FEATURES);
    String bName = g.floats("b", b, FEATURES);
    String gemm = g.node("Gemm", new String[] {flat, wName, bName});
    g.nodeInto("Tanh", new String[] {gemm}, "features");
    g.output("features", DataType.FLOAT, -1, FEATURES);
    Path file = dir.resolve("extractor.onnx");
    OnnxGraphBuilder.write(g.build("test"), file);
    return file;
  }
}
