package dev.jdiffusion.sampling.sampler;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Data x0 ~ N(mu, s^2) per pixel and its exact denoiser, for any alphabar table and any of the three
 * parameterizations, written from the definitions (not from the plugins):
 * {@code E[x0 | x_t] = mu + g_t (x_t - sqrt(ab) mu)} with {@code g_t = sqrt(ab) s^2 / (ab s^2 + 1 - ab)}, and
 * the network output {@code eps = (x_t - sqrt(ab) x0) / sigma}, {@code x0}, or
 * {@code v = sqrt(ab) eps - sigma x0} ({@code sigma = sqrt(1 - ab)}), each affine in x_t: {@code k_t x_t + c_t}.
 *
 * @param alphabar the table
 * @param mu the data mean
 * @param s the data standard deviation
 * @param parameterization {@code eps}, {@code x0} or {@code v}
 * @param shape the image shape
 * @param pixelMin the pixel range stored in the metadata (the clip range)
 * @param pixelMax
 */
record GaussianData(double[] alphabar, double mu, double s, String parameterization, ImageShape shape,
    double pixelMin, double pixelMax) {

  /** DDPM's linear schedule: betas = linspace(1e-4, 0.02, T). */
  static double[] linear(int timesteps) {
    double[] ab = new double[timesteps];
    double product = 1;
    for (int t = 0; t < timesteps; t++) {
      product *= 1 - (1e-4 + (0.02 - 1e-4) * t / (timesteps - 1));
      ab[t] = product;
    }
    return ab;
  }

  /** A table whose sigma = sqrt((1 - ab) / ab) is log-uniform from {@code min} to {@code max}. */
  static double[] logUniformSigma(int timesteps, double min, double max) {
    double[] ab = new double[timesteps];
    for (int t = 0; t < timesteps; t++) {
      double sigma = Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * t / (timesteps - 1));
      ab[t] = 1 / (1 + sigma * sigma);
    }
    return ab;
  }

  /** The posterior-mean gain g_t. */
  double gain(int t) {
    double a = alphabar[t];
    return Math.sqrt(a) * s * s / (a * s * s + 1 - a);
  }

  /** k_t and c_t of the output {@code k_t x_t + c_t}. */
  double[] outputCoefficients(int t) {
    double a = alphabar[t];
    double root = Math.sqrt(a);
    double sigma = Math.sqrt(1 - a);
    double g = gain(t);
    double x0k = g;
    double x0c = mu * (1 - g * root);
    return switch (parameterization) {
      case "x0" -> new double[] {x0k, x0c};
      case "eps" -> new double[] {(1 - root * x0k) / sigma, -root * x0c / sigma};
      case "v" -> new double[] {root / sigma - x0k / sigma, -x0c / sigma};   // v = (sqrt(ab) x - x0) / sigma
      default -> throw new IllegalArgumentException(parameterization);
    };
  }

  /** The metadata: x0_hat and eps_hat as combinations of x_t and the output, per parameterization. */
  ModelMetadata metadata() {
    int n = alphabar.length;
    double[][] c = new double[4][n];
    for (int t = 0; t < n; t++) {
      double root = Math.sqrt(alphabar[t]);
      double sigma = Math.sqrt(1 - alphabar[t]);
      double[] row = switch (parameterization) {
        case "eps" -> new double[] {1 / root, -sigma / root, 0, 1};
        case "x0" -> new double[] {0, 1, 1 / sigma, -root / sigma};
        case "v" -> new double[] {root, -sigma, sigma, root};
        default -> throw new IllegalArgumentException(parameterization);
      };
      for (int i = 0; i < 4; i++) {
        c[i][t] = row[i];
      }
    }
    return new ModelMetadata("test", parameterization, alphabar.clone(), c, "{\"name\":\"custom\"}", shape,
        pixelMin, pixelMax, "{}", "{\"name\":\"gaussian\"}", 0, "exact");
  }

  /** The exact denoiser as a Java {@link Denoiser} (float32 in and out, like a network). */
  Denoiser denoiser() {
    ModelMetadata m = metadata();
    int n = alphabar.length;
    double[] k = new double[n];
    double[] c = new double[n];
    for (int t = 0; t < n; t++) {
      double[] kc = outputCoefficients(t);
      k[t] = kc[0];
      c[t] = kc[1];
    }
    int size = shape.size();
    return new Denoiser() {
      @Override
      public ModelMetadata metadata() {
        return m;
      }

      @Override
      public float[] predict(float[] x, long[] t) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
          int ti = (int) t[i / size];
          out[i] = (float) (k[ti] * x[i] + c[ti]);
        }
        return out;
      }
    };
  }

  /** The exact denoiser as an ONNX model with the interface and metadata of an export: out = k[t] x + c[t]. */
  Path writeOnnx(Path file) throws IOException {
    int n = alphabar.length;
    float[] k = new float[n];
    float[] c = new float[n];
    for (int t = 0; t < n; t++) {
      double[] kc = outputCoefficients(t);
      k[t] = (float) kc[0];
      c[t] = (float) kc[1];
    }
    OnnxGraphBuilder g = new OnnxGraphBuilder("gaussian_data_oracle");
    g.input("x", TensorProto.DataType.FLOAT, -1, shape.channels(), shape.height(), shape.width());
    g.input("t", TensorProto.DataType.INT64, -1);
    String shape4 = g.longs("shape", -1, 1, 1, 1);
    String kt = g.node("Reshape", new String[] {g.node("Gather", new String[] {g.floats("k", k, n), "t"}, "axis", 0L), shape4});
    String ct = g.node("Reshape", new String[] {g.node("Gather", new String[] {g.floats("c", c, n), "t"}, "axis", 0L), shape4});
    g.nodeInto("Add", new String[] {g.node("Mul", new String[] {"x", kt}), ct}, parameterization);
    g.output(parameterization, TensorProto.DataType.FLOAT, -1, shape.channels(), shape.height(), shape.width());
    g.metadata(metadata().toProperties());
    OnnxGraphBuilder.write(g.build("test"), file);
    return file;
  }

  /**
   * The exact probability-flow map from N(0, 1) at timestep {@code first} to the state at {@code last}, followed
   * by the denoiser at {@code last}: what every ODE sampler whose grid runs from {@code first} to {@code last}
   * converges to. The marginal of x_t is N(sqrt(ab) mu, ab s^2 + 1 - ab), and the probability-flow ODE of
   * Gaussian data maps marginal quantiles to quantiles:
   * {@code x_last = sqrt(ab_l) mu + (std_l / std_f) (x_first - sqrt(ab_f) mu)}.
   *
   * @return {A, B}: the output is {@code A x_T + B}, so its mean is B and its variance A^2 when x_T ~ N(0, 1)
   */
  double[] odeLimit(int first, int last) {
    double af = alphabar[first];
    double al = alphabar[last];
    double stdF = Math.sqrt(af * s * s + 1 - af);
    double stdL = Math.sqrt(al * s * s + 1 - al);
    double a = stdL / stdF;
    double b = Math.sqrt(al) * mu - a * Math.sqrt(af) * mu;
    double g = gain(last);
    return new double[] {g * a, mu + g * (b - Math.sqrt(al) * mu)};
  }
}
