package dev.jdiffusion.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxGraphBuilderTest {
  static final NoiseSchedule LINEAR = NoiseSchedule.fromBetas(linspace(1e-4, 0.02, 1000));

  static double[] linspace(double a, double b, int n) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = a + (b - a) * i / (n - 1);
    }
    return out;
  }

  /**
   * {@code E[eps | x_t] = k x_t} for {@code x0 ~ N(0, s^2)}, computed here without the oracle's formula: by
   * way of the posterior mean of {@code x0} (Gaussian conditioning,
   * {@code E[x0 | x_t] = sqrt(ab) s^2 / (ab s^2 + 1 - ab) x_t}) and {@code eps = (x_t - sqrt(ab) x0) / sqrt(1 - ab)},
   * with {@code ab} the running product of {@code 1 - beta} of the DDPM linear betas.
   */
  static double[] posteriorNoiseCoefficients(long[] timesteps, double dataStd) {
    double[] betas = linspace(1e-4, 0.02, 1000);
    double[] k = new double[timesteps.length];
    for (int i = 0; i < timesteps.length; i++) {
      double ab = 1;
      for (int j = 0; j <= timesteps[i]; j++) {
        ab *= 1 - betas[j];
      }
      double s2 = dataStd * dataStd;
      double x0PerXt = Math.sqrt(ab) * s2 / (ab * s2 + 1 - ab);
      k[i] = (1 - Math.sqrt(ab) * x0PerXt) / Math.sqrt(1 - ab);
    }
    return k;
  }

  @Test
  void oracleRunsInOnnxRuntimeWithItsMetadata(@TempDir Path dir) throws Exception {
    ImageShape shape = new ImageShape(1, 4, 4);
    Path file = dir.resolve("oracle.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(LINEAR, 0.5, shape, GaussianOracle.metadata(LINEAR, shape)), file);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions())) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      ModelMetadata m = ModelMetadata.fromProperties(file.toString(), meta);
      assertThat(m.alphabar()).containsExactly(LINEAR.alphabars());
      assertThat(session.getOutputNames()).containsExactly("eps");

      int n = 3;
      float[] x = new float[n * 16];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) Math.sin(i);
      }
      long[] t = {0, 500, 999};
      double[] expectedCoefficient = posteriorNoiseCoefficients(t, 0.5);
      try (OnnxTensor xs = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, 1, 4, 4});
          OnnxTensor ts = OnnxTensor.createTensor(env, LongBuffer.wrap(t), new long[] {n});
          OrtSession.Result r = session.run(Map.of("x", xs, "t", ts))) {
        float[][][][] eps = (float[][][][]) r.get(0).getValue();
        for (int b = 0; b < n; b++) {
          double k = expectedCoefficient[b];
          for (int i = 0; i < 16; i++) {
            assertThat((double) eps[b][0][i / 4][i % 4]).isCloseTo(k * x[b * 16 + i], within(1e-6));
          }
        }
      }
    }
  }

  /** The ONNX reference checker (Debian's python3-onnx), when the machine has it; CI installs it. */
  @Test
  void passesTheOnnxChecker(@TempDir Path dir) throws Exception {
    ImageShape shape = new ImageShape(3, 8, 8);
    Path file = dir.resolve("oracle.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(LINEAR, 1.0, shape, GaussianOracle.metadata(LINEAR, shape)), file);
    OnnxChecker.assertValid(file);
    assertThat(Files.size(file)).isGreaterThan(4000);
  }
}
