package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.cli.WeightsCommandTest.Run;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.sampler.Noise;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import dev.jdiffusion.sampling.sampler.Spacing;
import dev.jdiffusion.trainer.DirectorySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./diffusion run} takes the samplers and grids of {@code ./diffusion sample}. */
class RunCommandTest {
  static final String CONFIG = """
      schedule: {name: cosine, timesteps: 50}
      parameterization: {name: eps}
      weighter: {name: min-snr, gamma: 5}
      dataset: {name: synthetic, count: 16, size: 8}
      model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: []}
      training: {steps: 4, batchSize: 4, lr: 1.0e-3, warmupSteps: 1, emaDecay: 0.5, logEvery: 2}
      """;

  static Run run(Path dir, String config, String... options) throws Exception {
    Path file = dir.resolve("train.yaml");
    Files.writeString(file, config);
    String[] args = new String[options.length + 8];
    String[] fixed = {"run", file.toString(), "--samples", "12", "--reference", "16", "--extractor",
        CompareCommandTest.extractor(dir).toString()};
    System.arraycopy(fixed, 0, args, 0, fixed.length);
    System.arraycopy(options, 0, args, fixed.length, options.length);
    return WeightsCommandTest.run(args);
  }

  @Test
  void anOutDirectoryHoldingAnEarlierRunIsRefusedAndKeptAsItWas(@TempDir Path dir) throws Exception {
    // an earlier run's training directory: its configuration and a checkpoint (what run wrote before)
    Path out = dir.resolve("out");
    Path train = out.resolve("train");
    Files.createDirectories(train.resolve("checkpoints"));
    Files.writeString(train.resolve("config.json"), "{}");
    Files.writeString(train.resolve("checkpoints/step-00000004.ckpt"), "an earlier run's checkpoint");
    DirectorySnapshot before = DirectorySnapshot.of(out);
    Run again = run(dir, CONFIG, "--out", out.toString());
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err().strip()).isEqualTo("error: --out " + out + " holds an earlier run (" + out.resolve("train")
        + "): choose another --out, or delete it first");
    assertThat(DirectorySnapshot.of(out)).isEqualTo(before);
  }

  @Test
  void aBadSamplerOrSpacingIsOneLineNamingTheOptionAndTheAllowedNamesBeforeAnythingRuns(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("out");
    Run sampler = run(dir, CONFIG, "--sampler", "dpm-solver", "--out", out.toString());
    assertThat(sampler.exit()).isEqualTo(2);
    assertThat(sampler.err().strip())
        .isEqualTo("error: --sampler: 'dpm-solver' is not one of ddpm, ddim, euler, heun, dpmpp-2m");
    Run spacing = run(dir, CONFIG, "--sampler", "euler", "--spacing", "cosine", "--out", out.toString());
    assertThat(spacing.exit()).isEqualTo(2);
    assertThat(spacing.err().strip())
        .isEqualTo("error: --spacing: 'cosine' is not one of trailing, linspace, leading, karras, logsnr");
    // a sigma grid cannot start at zero terminal SNR: refused before training
    Run ztsnr = run(dir, CONFIG.replace("parameterization: {name: eps}", "parameterization: {name: v}")
        .replace("timesteps: 50}", "timesteps: 50, zeroTerminalSnr: true}"), "--sampler", "euler", "--out",
        out.toString());
    assertThat(ztsnr.exit()).isEqualTo(2);
    assertThat(ztsnr.err().strip()).startsWith("error: sampler euler: spacing karras needs a finite sigma at t = T-1")
        .doesNotContain("\n");
    assertThat(out).doesNotExist();
  }

  @Test
  void runsTheWholeJobWithAnotherSamplerAndReportsItsEvaluations(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Run r = run(dir, CONFIG, "--sampler", "heun", "--spacing", "logsnr", "--sampling-steps", "3", "--out",
        out.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("heun (logsnr spacing): 3 steps, t = 49 .. 0, 5 network evaluations per image");
    assertThat(Files.readString(out.resolve("report.md"))).containsPattern("\\*\\*FID [0-9.]+\\*\\* \\(12 samples vs"
        + " 16 test images; sampler heun, logsnr spacing, 3 steps: 5 network evaluations per image\\)");
    // The written samples are Heun's from noise seed 0 on the exported model, not DDIM's.
    double[] written = Npy.read(out.resolve("samples/samples.npy")).data();
    Sampler heun = Samplers.create("heun", SamplerOptions.of(3).withSpacing(Spacing.LOGSNR));
    try (OnnxDenoiser model = OnnxDenoiser.open(out.resolve("model.onnx"), 1)) {
      float[] expected = Samplers.draw(model, heun, Noise.seeded(0), 12, 12, k -> { });
      float[] ddim = Samplers.draw(model, Samplers.create("ddim", SamplerOptions.of(3)), Noise.seeded(0), 12, 12,
          k -> { });
      double heunDiff = 0;
      double ddimDiff = 0;
      for (int i = 0; i < written.length; i++) {
        heunDiff = Math.max(heunDiff, Math.abs(written[i] - expected[i]));
        ddimDiff = Math.max(ddimDiff, Math.abs(written[i] - ddim[i]));
      }
      assertThat(written).hasSize(expected.length);
      assertThat(heunDiff).isLessThan(1e-5);
      assertThat(ddimDiff).isGreaterThan(1e-3);
    }
  }

  @Test
  void withoutASamplerTheRunTakesDdpmAndQuickTakesDdim(@TempDir Path dir) throws Exception {
    Run ddpm = run(dir, CONFIG, "--out", dir.resolve("ddpm").toString());
    assertThat(ddpm.exit()).as(ddpm.err()).isZero();
    assertThat(Files.readString(dir.resolve("ddpm/report.md")))
        .contains("sampler ddpm, trailing spacing, 25 steps: 25 network evaluations per image");
    // --quick aims at about 10 evaluations, where DDIM is the default; a named sampler gets that budget
    Run quick = run(dir, CONFIG, "--quick", "--sampler", "heun", "--out", dir.resolve("quick").toString());
    assertThat(quick.exit()).as(quick.err()).isZero();
    assertThat(Files.readString(dir.resolve("quick/report.md")))
        .contains("sampler heun, karras spacing, 5 steps: 9 network evaluations per image");
    // the default takes a schedule with zero terminal SNR too (where a Karras grid is refused)
    Run ztsnr = run(dir, CONFIG.replace("parameterization: {name: eps}", "parameterization: {name: v}")
        .replace("timesteps: 50}", "timesteps: 50, zeroTerminalSnr: true}"), "--out", dir.resolve("ztsnr").toString());
    assertThat(ztsnr.exit()).as(ztsnr.err()).isZero();
    assertThat(Files.readString(dir.resolve("ztsnr/report.md")))
        .contains("sampler ddpm, trailing spacing, 25 steps: 25 network evaluations per image");
  }

  @Test
  void theRunLineOfDocsSamplingRunsOnATinyConfiguration(@TempDir Path dir) throws Exception {
    List<String> lines = SamplingDocsTest.commandLines("./diffusion run ");
    assertThat(lines).hasSize(1);
    List<String> args = new ArrayList<>(Arrays.asList(lines.get(0).split(" +")));
    assertThat(args.remove(0)).isEqualTo("./diffusion");
    Path out = dir.resolve("out");
    args.set(args.indexOf("--out") + 1, out.toString()); // the documented line, writing into the test's directory
    Run r = run(dir, CONFIG, args.subList(1, args.size()).toArray(String[]::new));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(Files.readString(out.resolve("report.md")))
        .contains("sampler dpmpp-2m, logsnr spacing, 20 steps: 20 network evaluations per image");
  }
}
