package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.exporter.onnx.GaussianOracle;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleCommandTest {
  @Test
  void writesSamplesAndGrid(@TempDir Path dir) throws Exception {
    double[] betas = new double[100];
    for (int i = 0; i < 100; i++) {
      betas[i] = 1e-3 + (0.15 - 1e-3) * i / 99;
    }
    NoiseSchedule s = NoiseSchedule.fromBetas(betas);
    ImageShape shape = new ImageShape(3, 8, 8);
    Path model = dir.resolve("m.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(s, 0.4, shape, GaussianOracle.metadata(s, shape)), model);

    var r = WeightsCommandTest.run("sample", model.toString(), "--n", "10", "--batch", "4", "--steps", "20",
        "--sampler", "ddpm", "--out", dir.resolve("out").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    NpyArray a = Npy.read(dir.resolve("out/samples.npy"));
    assertThat(a.shape()).containsExactly(10, 3, 8, 8);
    assertThat(a.dtype()).isEqualTo(Npy.FLOAT32);
    assertThat(Files.size(dir.resolve("out/grid.png"))).isGreaterThan(100);
    assertThat(r.out()).contains("sampling 10 images: 60/60").contains("images/s");

    var bad = WeightsCommandTest.run("sample", dir.resolve("none.onnx").toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("none.onnx: no such model file");
  }
}
