package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.pipeline.Environment;
import dev.jdiffusion.pipeline.MainJob;
import dev.jdiffusion.pipeline.Progress;
import dev.jdiffusion.sampling.sampler.Spacing;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.TrainingStoppedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion run [CONFIG]}: the whole job ({@link MainJob}). Trains a denoiser, exports it to ONNX
 * (parity-checked), samples it in ONNX Runtime ({@code --sampler}; by default {@link MainJob#defaultSampler}),
 * scores FID against the dataset's test split with a feature extractor (the small classifier trained on the
 * dataset's training split and cached, unless {@code --extractor} names one), and writes {@code report.md}
 * with the loss curve, a sample grid, the FID and its extractor, and the time each stage took.
 */
@Command(name = "run", sortOptions = false,
    description = {"Train, export, sample and score (FID) a denoiser; write a report.",
        "Without CONFIG: Fashion-MNIST 32x32, unet-xs, cosine, eps, smoothed-kl lambda=0.2 (~10 min on 2 cores)."})
final class RunCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG",
      description = "A training configuration (YAML/JSON); default: the built-in one.")
  Path config;

  @Option(names = "--quick", description = "A one-minute smoke run (tiny data, model, steps and sample).")
  boolean quick;

  @Option(names = "--steps", description = "Training steps (overrides the configuration).")
  Integer steps;

  @Option(names = "--samples", description = "Images to sample for FID (default: 500, quick: 200).")
  Integer samples;

  @Option(names = "--sampler", description = "ddpm, ddim, euler, heun or dpmpp-2m (default: ddpm; quick: ddim).")
  String sampler;

  @Option(names = "--sampling-steps", description = "Sampler steps per image: one network evaluation each"
      + " (heun: 2 x steps - 1) (default: about 25 evaluations, heun 13 steps; quick: about 10).")
  Integer samplingSteps;

  @Option(names = "--spacing", description = "Timestep grid: trailing, linspace, leading, karras (rho = 7) or logsnr"
      + " (default: trailing for ddpm and ddim, karras for euler and heun, logsnr for dpmpp-2m).")
  String spacing;

  @Option(names = "--reference", description = "Test images to compare with (default: 10000, quick: 1000).")
  Integer reference;

  @Option(names = "--extractor", paramLabel = "MODEL.onnx",
      description = "Feature extractor for FID; default: train (once, then cached) the small classifier on the dataset.")
  Path extractor;

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: out/run, quick: out/run-quick).")
  Path out;

  @Override
  public Integer call() throws IOException, OrtException {
    PrintWriter log = spec.commandLine().getOut();
    Environment env = Environment.of(main.injector(), Main.version());
    Path dir = out != null ? out : Path.of("out", quick ? "run-quick" : "run");
    Writable.requireDirectory("--out", dir);
    TrainConfig cfg = config != null ? env.reader().read(config, TrainConfig.class)
        : env.reader().readYaml(quick ? "built-in run-quick.yaml" : "built-in run-default.yaml",
            BuiltInConfigs.read(quick ? "run-quick.yaml" : "run-default.yaml"), TrainConfig.class);
    if (steps != null) {
      cfg = cfg.withSteps(steps);
    }
    if (cfg.dataset().isEmpty()) {
      throw new UserException((config == null ? "the configuration" : config.toString())
          + ": dataset: missing required value (the data to train on)");
    }
    Spacing grid;
    try {
      grid = spacing == null ? null : Spacing.parse(spacing);
    } catch (IllegalArgumentException e) {
      throw new UserException("--spacing: " + e.getMessage(), e);
    }
    MainJob.Options options;
    try {
      MainJob.Options.Builder builder = MainJob.Options.builder(cfg, dir)
          .samples(samples != null ? samples : quick ? 200 : 500)
          .sampler(sampler)
          .spacing(grid)
          .evaluations(quick ? 10 : MainJob.DEFAULT_EVALUATIONS)
          .reference(reference != null ? reference : quick ? 1000 : 10000)
          .extractor(extractor)
          .quickExtractor(quick)
          .log(log)
          .progressBar(Progress.interactive());
      if (samplingSteps != null) {
        builder.samplingSteps(samplingSteps);
      }
      options = builder.build();
    } catch (IllegalArgumentException e) {
      throw new UserException("--" + e.getMessage().replace("samplingSteps", "sampling-steps"), e);
    }
    MainJob.Result result;
    try {
      result = MainJob.run(env, options);
    } catch (TrainingStoppedException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return 3;
    }
    log.printf("wrote %s%n", result.report());
    log.flush();
    return 0;
  }
}
