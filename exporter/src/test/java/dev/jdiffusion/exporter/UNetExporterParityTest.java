package dev.jdiffusion.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.jdiffusion.exporter.onnx.OnnxCheckerAccess;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.trainer.unet.UNet;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported graph computes what the DJL network computes: random weights (biases, GroupNorm gains and
 * shifts included, so no term hides behind a zero or a one), random inputs, batch 1 and a larger batch,
 * max absolute difference within 1e-4 (Hugging Face optimum's default tolerance for UNet exports), on
 * architectures with and without attention, 1 and 3 channels, 28, 32 and 64 pixels. Each file also
 * passes the ONNX checker.
 */
class UNetExporterParityTest {

  static Stream<Arguments> architectures() {
    return Stream.of(
        Arguments.of("1x28, attention at 14", new UNetConfig(1, 28, 32, List.of(1, 2), 1, List.of(14), 0)),
        Arguments.of("3x32, middle attention only, 3 levels", new UNetConfig(3, 32, 32, List.of(1, 2, 2), 2, List.of(), 0.1)),
        Arguments.of("3x64, attention at 16, 4 levels", new UNetConfig(3, 64, 32, List.of(1, 1, 2, 2), 1, List.of(16), 0)));
  }

  /** Every parameter drawn at random, gains around 1, everything else around 0. */
  static UNet randomNetwork(UNetConfig config, NDManager m, long seed) {
    UNet net = new UNet(config);
    net.initialize(m, DataType.FLOAT32,
        new Shape(1, config.imageChannels(), config.imageSize(), config.imageSize()), new Shape(1));
    Random r = new Random(seed);
    for (Pair<String, Parameter> p : net.getParameters()) {
      NDArray a = p.getValue().getArray();
      boolean gain = p.getValue().getType() == Parameter.Type.GAMMA;
      float[] v = new float[(int) a.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (gain ? 1 : 0) + (gain ? 0.5f : 0.2f) * (float) r.nextGaussian();
      }
      a.set(v);
    }
    return net;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("architectures")
  void onnxRuntimeMatchesDjl(String name, UNetConfig config, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("unet.onnx");
    try (NDManager m = NDManager.newBaseManager()) {
      UNet net = randomNetwork(config, m, 42);
      OnnxGraphBuilder.write(UNetExporter.export(net, "eps", Map.of("k", "v"), "test"), file);
      OnnxCheckerAccess.assertValid(file);
      for (int batch : new int[] {1, 5}) {
        ParityCheck.Result r = ParityCheck.run(net, file, "eps", 1000, batch, batch);
        System.out.printf("parity %s, batch %d: max abs diff %.3g (max |output| %.3g)%n",
            name, batch, r.maxAbsDifference(), r.maxAbsOutput());
        assertThat(r.maxAbsOutput()).as("outputs are not trivially small").isGreaterThan(0.1);
        assertThat(r.maxAbsDifference()).as("%s, batch %d: max |DJL - ORT|", name, batch)
            .isLessThan(ParityCheck.DEFAULT_TOLERANCE);
      }
    }
  }
}
