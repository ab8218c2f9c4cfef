package dev.jdiffusion.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.inject.Injector;
import dev.jdiffusion.core.Bootstrap;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.trainer.Checkpoint;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.TrainingRun;
import dev.jdiffusion.trainer.unet.Autocast;
import dev.jdiffusion.trainer.unet.UNet;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network trained with {@code training.precision: bf16-mixed} exports like any other: its checkpoint holds
 * float32 weights, the ONNX file is float32, and ONNX Runtime matches the float32 DJL forward within the
 * usual {@link ParityCheck#DEFAULT_TOLERANCE} (1e-4). Against the bfloat16 forward the network was trained
 * with, the exported float32 model differs by bfloat16 rounding only: the test bounds the largest difference
 * at {@code 2^-5} (about 3%) of the largest output, the relative RMS bound of the trainer's
 * {@code MixedPrecisionLayersTest} (measured here: under 1%).
 */
class MixedPrecisionExportTest {

  @Test
  void aBf16TrainedNetworkExportsWithFloat32Parity(@TempDir Path dir) throws Exception {
    Injector injector = Bootstrap.createInjector(getClass().getClassLoader(), null);
    Plugins plugins = injector.getInstance(Plugins.class);
    ConfigReader reader = injector.getInstance(ConfigReader.class);
    TrainConfig config = reader.readYaml("bf16.yaml", """
        schedule: {name: cosine, timesteps: 1000}
        parameterization: {name: eps}
        weighter: {name: min-snr, gamma: 5}
        model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: [8]}
        training: {steps: 30, batchSize: 8, lr: 3.0e-3, warmupSteps: 0, emaDecay: 0.5, checkpointEvery: 30,
                   device: cpu, precision: bf16-mixed}
        """, TrainConfig.class);
    PrintWriter quiet = new PrintWriter(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    TrainingRun.Summary run = TrainingRun.run(config, plugins, reader, blobs(32), new TrainingRun.Options(
        dir.resolve("run"), false, quiet, false));
    assertThat(run.losses().get(run.losses().size() - 1)).isLessThan(run.losses().get(0));
    Path onnx = dir.resolve("unet.onnx");
    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoint.Contents c = Checkpoint.read(run.lastCheckpoint(), m);
      assertThat(c.config().path("training").path("precision").asText()).isEqualTo("bf16-mixed");
      UNet net = Checkpoint.loadNetwork(run.lastCheckpoint(), m, true);
      for (Pair<String, Parameter> p : net.getParameters()) {
        assertThat(p.getValue().getArray().getDataType()).isEqualTo(DataType.FLOAT32);
      }
      OnnxGraphBuilder.write(UNetExporter.export(net, "eps", Map.of(), "test"), onnx);
      assertThat(onnx.toFile().length()).as("float32 weights: 4 bytes each")
          .isGreaterThan(4 * net.parameterCount());
      for (int batch : new int[] {1, 6}) {
        ParityCheck.Result fp32 = ParityCheck.run(net, onnx, "eps", 1000, batch, batch);
        assertThat(fp32.maxAbsOutput()).isGreaterThan(0.1);
        assertThat(fp32.maxAbsDifference()).as("batch %d: max |DJL fp32 - ORT|", batch)
            .isLessThan(ParityCheck.DEFAULT_TOLERANCE);
        ParityCheck.Result bf16 = Autocast.compute(Autocast.ComputeType.BF16, () -> parity(net, onnx, batch));
        System.out.printf("bf16-trained export, batch %d: max |fp32 DJL - ORT| %.3g, max |bf16 DJL - ORT| %.3g,"
            + " max |output| %.3g%n", batch, fp32.maxAbsDifference(), bf16.maxAbsDifference(), bf16.maxAbsOutput());
        assertThat(bf16.maxAbsDifference()).as("batch %d: max |DJL bf16 - ORT|", batch)
            .isLessThanOrEqualTo(Math.scalb(1.0, -5) * bf16.maxAbsOutput())
            .as("the bf16 forward really is bf16").isGreaterThan(ParityCheck.DEFAULT_TOLERANCE);
      }
    }
  }

  private static ParityCheck.Result parity(UNet net, Path onnx, int batch) {
    try {
      return ParityCheck.run(net, onnx, "eps", 1000, batch, batch);
    } catch (ai.onnxruntime.OrtException e) {
      throw new UncheckedIOException(new java.io.IOException(e));
    }
  }

  /** 3x16x16 images of a bright square at a random place on a dark ground, in [-1, 1]. */
  private static DatasetSource blobs(int count) {
    return new DatasetSource() {
      @Override
      public ImageShape shape() {
        return new ImageShape(3, 16, 16);
      }

      @Override
      public int size() {
        return count;
      }

      @Override
      public void read(int index, float[] dest, int offset) {
        Random r = new Random(index);
        int row = r.nextInt(10);
        int col = r.nextInt(10);
        for (int c = 0; c < 3; c++) {
          for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 16; j++) {
              boolean in = i >= row && i < row + 6 && j >= col && j < col + 6;
              dest[offset + (c * 16 + i) * 16 + j] = in ? 0.8f - 0.3f * c : -0.9f;
            }
          }
        }
      }
    };
  }
}
