package dev.jdiffusion.sampling.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.exporter.onnx.GaussianOracle;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Python sampler (docs/sample_onnx.py) runs on a real exported file: its metadata is read
 * with the onnx package (Debian's python3-onnx; Python onnxruntime is not installable offline here, so
 * the network is the Gaussian oracle's closed form in numpy, k_t x_t), and its DDIM output has the
 * variance the chain must produce ({@link SamplerTest#chainVariance}), within 3%; its timesteps are Java's
 * {@link Spacing#TRAILING} grid at every step count.
 */
class PythonSnippetTest {
  @Test
  void readmeSamplerReadsTheMetadataAndSamplesCorrectly(@TempDir Path dir) throws Exception {
    double[] betas = new double[1000];
    for (int i = 0; i < 1000; i++) {
      betas[i] = 1e-4 + (0.02 - 1e-4) * i / 999;
    }
    NoiseSchedule linear = NoiseSchedule.fromBetas(betas);
    SamplerTest.linear = linear;
    ImageShape shape = new ImageShape(1, 4, 4);
    var base = ModelMetadata.fromProperties("oracle", GaussianOracle.metadata(linear, shape));
    // A wide pixel range keeps the snippet's x0 clipping out of the way of the exact variance.
    var meta = new ModelMetadata(base.frameworkVersion(), base.parameterization(), base.alphabar(),
        base.estimateCoefficients(), base.scheduleJson(), shape, -100, 100, "{}", "{}", 0, "exact");
    Path model = dir.resolve("oracle.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(linear, SamplerTest.S, shape, meta.toProperties()), model);

    Path snippet = Path.of("..", "docs", "sample_onnx.py").toAbsolutePath().normalize();
    String code = String.join("\n",
        "import sys, numpy as np, onnx",
        "sys.path.insert(0, sys.argv[1])",
        "import sample_onnx",
        "m = onnx.load(sys.argv[2])",
        "meta = {p.key: p.value for p in m.metadata_props}",
        "ab = sample_onnx.table(meta, 'alphabar')",
        "s = float(sys.argv[3])",
        "k = np.sqrt(1 - ab) / (ab * s * s + 1 - ab)",
        "x = sample_onnx.ddim(lambda x, t: k[t][:, None, None, None] * x, meta, 2000, 50, seed=3)",
        "for n in range(1, len(ab) + 1):",
        "    print('grid', n, ' '.join(map(str, sample_onnx.trailing(len(ab), n))))",
        "print(x.shape, float(x.var()))");
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    Process p = new ProcessBuilder(python, "-c", code, snippet.getParent().toString(), model.toString(),
        Double.toString(SamplerTest.S)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    // the snippet's timesteps are Java's trailing grid at every step count (half to even: 811 at 16 steps)
    int grids = 0;
    for (String line : out.split("\n")) {
      if (line.startsWith("grid ")) {
        String[] f = line.split(" ");
        int n = Integer.parseInt(f[1]);
        int[] ts = java.util.Arrays.stream(f, 2, f.length).mapToInt(Integer::parseInt).toArray();
        assertThat(ts).as("%d steps", n).containsExactly(Spacing.TRAILING.timesteps(linear.alphabars(), n));
        grids++;
      }
    }
    assertThat(grids).isEqualTo(1000);
    out = out.substring(out.lastIndexOf('\n') + 1);
    assertThat(out).startsWith("(2000, 1, 4, 4) ");
    double variance = Double.parseDouble(out.substring(out.lastIndexOf(' ') + 1));
    double expected = SamplerTest.chainVariance(50, true, 0, false);
    assertThat(variance).isCloseTo(expected, within(0.03 * expected));
  }
}
