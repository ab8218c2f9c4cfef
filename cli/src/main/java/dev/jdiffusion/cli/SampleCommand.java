package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.pipeline.ImageSampling;
import dev.jdiffusion.pipeline.Progress;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.sampler.DdpmSampler;
import dev.jdiffusion.sampling.sampler.InvalidSamplerException;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import dev.jdiffusion.sampling.sampler.Spacing;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion sample model.onnx}: draws images from an exported denoiser with ONNX Runtime. Writes
 * {@code samples.npy} (float32 [N, C, H, W], values in the model's pixel range, normally [-1, 1]) and
 * {@code grid.png} (the first 64 images). Image i's noise depends only on the seed and i, so the same seed
 * gives the same images at any {@code --batch}.
 */
@Command(name = "sample", sortOptions = false,
    description = "Draw images from an exported ONNX denoiser (DDPM, DDIM, Euler, Heun or DPM-Solver++(2M));"
        + " writes samples.npy and grid.png.")
final class SampleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "A model written by ./diffusion export.")
  Path model;

  @Option(names = "--n", description = "Number of images (default: ${DEFAULT-VALUE}).")
  int n = 64;

  @Option(names = "--sampler", description = "ddpm, ddim, euler, heun or dpmpp-2m (default: ${DEFAULT-VALUE}).")
  String sampler = "ddim";

  @Option(names = "--steps", description = "Steps per image, at most T: one network evaluation each (heun: 2 x steps - 1)"
      + " (default: ${DEFAULT-VALUE}).")
  int steps = 100;

  @Option(names = "--spacing", description = "Timestep grid: trailing, linspace, leading, karras (rho = 7) or logsnr"
      + " (default: trailing for ddpm and ddim, karras for euler and heun, logsnr for dpmpp-2m).")
  String spacing;

  @Option(names = "--eta", description = "DDIM stochasticity in [0, 1] (ddim only; default: 0).")
  Double eta;

  @Option(names = "--variance", description = "DDPM step variance: posterior or beta (ddpm only; default: posterior).")
  String variance;

  // picocli negates the declared defaultValue, not the field's initial value: without defaultValue = "true",
  // --no-clip would set true.
  @Option(names = "--clip", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Clip the x0 estimate to the pixel range (default: on; --no-clip turns it off).")
  boolean clip = true;

  @Option(names = "--batch", description = "Images per network call (default: ${DEFAULT-VALUE}).")
  int batch = 64;

  @Option(names = "--seed", description = "Noise seed (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--threads", description = "ONNX Runtime threads (default: the cores, ${DEFAULT-VALUE}).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("out", "samples");

  Sampler sampler() {
    Spacing grid;
    DdpmSampler.Variance ddpmVariance;
    try {
      grid = spacing == null ? null : Spacing.parse(spacing);
    } catch (IllegalArgumentException e) {
      throw new UserException("--spacing: " + e.getMessage(), e);
    }
    try {
      ddpmVariance = variance == null ? null : DdpmSampler.Variance.parse(variance);
    } catch (IllegalArgumentException e) {
      throw new UserException("--variance: " + e.getMessage(), e);
    }
    try {
      return Samplers.create(sampler, new SamplerOptions(steps, grid, eta, ddpmVariance, clip));
    } catch (InvalidSamplerException e) {
      throw new UserException("--" + e.field() + ": " + e.reason(), e);
    }
  }

  @Override
  public Integer call() throws IOException, OrtException {
    if (n < 1 || batch < 1) {
      throw new UserException("--n and --batch must be >= 1");
    }
    if (threads < 0) {
      throw new UserException("--threads " + threads + " is not allowed: must be >= 0 (0: ONNX Runtime's default)");
    }
    Writable.requireDirectory("--out", out);
    Sampler s = sampler();
    ModelMetadata metadata;
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 1)) {
      metadata = d.metadata();
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    try {
      s.timesteps(metadata);
    } catch (IllegalArgumentException e) {
      throw new UserException("--spacing: " + model + ": " + e.getMessage(), e);
    }
    PrintWriter log = spec.commandLine().getOut();
    float[] images = ImageSampling.sample(model, s, n, batch, seed, threads, log, Progress.interactive());
    ImageSampling.write(out, images, n, metadata);
    log.printf("wrote %s and %s%n", out.resolve("samples.npy"), out.resolve("grid.png"));
    log.flush();
    return 0;
  }
}
