package dev.jdiffusion.exporter.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.Map;

/**
 * The exact eps-denoiser of Gaussian data, as an ONNX model with the same interface and metadata as an
 * exported network. If {@code x0 ~ N(0, s^2 I)} then {@code x_t ~ N(0, (alphabar s^2 + sigma^2) I)} and
 * the posterior mean of the noise is {@code E[eps | x_t] = sigma / (alphabar s^2 + sigma^2) * x_t}. A
 * correct sampler driven by it must produce samples of variance {@code s^2}: the reference against
 * which samplers are tested, with no training involved.
 */
public final class GaussianOracle {
  private GaussianOracle() {}

  /** The coefficient {@code k_t} in {@code eps_hat = k_t x_t}. */
  public static double coefficient(NoiseSchedule s, int t, double dataStd) {
    double a = s.alphabar(t);
    return Math.sqrt(s.sigma2(t)) / (a * dataStd * dataStd + s.sigma2(t));
  }

  /** The model: inputs {@code x} float32 [N, C, H, W] and {@code t} int64 [N]; output {@code eps}. */
  public static ModelProto model(NoiseSchedule s, double dataStd, ImageShape shape, Map<String, String> metadata) {
    int n = s.timesteps();
    float[] table = new float[n];
    for (int t = 0; t < n; t++) {
      table[t] = (float) coefficient(s, t, dataStd);
    }
    OnnxGraphBuilder g = new OnnxGraphBuilder("gaussian_oracle");
    g.input("x", TensorProto.DataType.FLOAT, -1, shape.channels(), shape.height(), shape.width());
    g.input("t", TensorProto.DataType.INT64, -1);
    String coefficients = g.floats("k_table", table, n);
    String k = g.node("Gather", new String[] {coefficients, "t"}, "axis", 0L);
    String k4 = g.node("Reshape", new String[] {k, g.longs("shape", -1, 1, 1, 1)});
    g.nodeInto("Mul", new String[] {"x", k4}, "eps");
    g.output("eps", TensorProto.DataType.FLOAT, -1, shape.channels(), shape.height(), shape.width());
    g.metadata(metadata);
    return g.build("test");
  }

  /** Metadata for the oracle as an eps-prediction model on {@code s}. */
  public static Map<String, String> metadata(NoiseSchedule s, ImageShape shape) {
    double[][] coefficients = new double[4][s.timesteps()];
    for (int t = 0; t < s.timesteps(); t++) {
      double root = Math.sqrt(s.alphabar(t));
      double sigma = Math.sqrt(s.sigma2(t));
      coefficients[0][t] = 1 / root;
      coefficients[1][t] = -sigma / root;
      coefficients[2][t] = 0;
      coefficients[3][t] = 1;
    }
    return new ModelMetadata("test", "eps", s.alphabars(), coefficients, "{\"name\":\"custom\"}", shape, -1, 1,
        "{}", "{\"name\":\"gaussian\"}", 0, "exact").toProperties();
  }
}
