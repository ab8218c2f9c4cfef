package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.image.ImageGrid;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import dev.jdiffusion.sampling.sampler.DdimSampler;
import dev.jdiffusion.sampling.sampler.DdpmSampler;
import dev.jdiffusion.sampling.sampler.Sampler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion sample model.onnx}: draws images from an exported denoiser with ONNX Runtime. Writes
 * {@code samples.npy} (float32 [N, C, H, W], values in the model's pixel range, normally [-1, 1]) and
 * {@code grid.png} (the first 64 images).
 */
@Command(name = "sample", sortOptions = false,
    description = "Draw images from an exported ONNX denoiser (DDPM or DDIM); writes samples.npy and grid.png.")
final class SampleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "A model written by ./diffusion export.")
  Path model;

  @Option(names = "--n", description = "Number of images (default: ${DEFAULT-VALUE}).")
  int n = 64;

  @Option(names = "--sampler", description = "ddim or ddpm (default: ${DEFAULT-VALUE}).")
  String sampler = "ddim";

  @Option(names = "--steps", description = "Network evaluations per image (default: ${DEFAULT-VALUE}; ddpm: at most T).")
  int steps = 100;

  @Option(names = "--eta", description = "DDIM stochasticity in [0, 1] (default: ${DEFAULT-VALUE}).")
  double eta = 0;

  @Option(names = "--variance", description = "DDPM step variance: posterior or beta (default: ${DEFAULT-VALUE}).")
  String variance = "posterior";

  @Option(names = "--clip", negatable = true, description = "Clip the x0 estimate to the pixel range (default: on).")
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
    return switch (sampler.toLowerCase(Locale.ROOT)) {
      case "ddim" -> new DdimSampler(steps, eta, clip);
      case "ddpm" -> new DdpmSampler(steps, switch (variance.toLowerCase(Locale.ROOT)) {
        case "posterior" -> DdpmSampler.Variance.POSTERIOR;
        case "beta" -> DdpmSampler.Variance.BETA;
        default -> throw new UserException("--variance: '" + variance + "' is not one of posterior, beta");
      }, clip);
      default -> throw new UserException("--sampler: '" + sampler + "' is not one of ddim, ddpm");
    };
  }

  @Override
  public Integer call() throws IOException, OrtException {
    if (n < 1 || batch < 1) {
      throw new UserException("--n and --batch must be >= 1");
    }
    Writable.requireDirectory("--out", out);
    Sampler s;
    try {
      s = sampler();
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    PrintWriter log = spec.commandLine().getOut();
    float[] images = sample(model, s, n, batch, seed, threads, log);
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 1)) {
      write(out, images, n, d.metadata());
    }
    log.printf("wrote %s and %s%n", out.resolve("samples.npy"), out.resolve("grid.png"));
    log.flush();
    return 0;
  }

  /** Draws {@code n} images in batches with a progress display. */
  static float[] sample(Path model, Sampler s, int n, int batch, long seed, int threads, PrintWriter log)
      throws OrtException {
    OnnxDenoiser d;
    try {
      d = OnnxDenoiser.open(model, threads);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    try (d) {
      int size = d.shape().size();
      float[] all = new float[n * size];
      int perImage = s.steps(d.metadata().timesteps());
      long total = (long) perImage * ((n + batch - 1) / batch);
      Progress p = Progress.start("sampling " + n + " images", total, log);
      try {
        long[] done = {0};
        for (int start = 0, b = 0; start < n; start += batch, b++) {
          int m = Math.min(batch, n - start);
          long base = done[0];
          float[] x = s.sample(d, m, seed + b, k -> p.stepTo(base + k, null));
          done[0] = base + perImage;
          System.arraycopy(x, 0, all, start * size, m * size);
        }
      } finally {
        p.close();
      }
      double secs = p.elapsed().toNanos() / 1e9;
      log.printf(Locale.ROOT, "sampled %d images in %.1f s (%.1f images/s, %d network evaluations each)%n",
          n, secs, n / secs, perImage);
      return all;
    }
  }

  static void write(Path out, float[] images, int n, ModelMetadata m) throws IOException {
    Files.createDirectories(out);
    var shape = m.imageShape();
    Npy.write(out.resolve("samples.npy"),
        NpyArray.float32(images, n, shape.channels(), shape.height(), shape.width()));
    ImageGrid.write(out.resolve("grid.png"), images, shape, 64, 8, m.pixelMin(), m.pixelMax());
  }
}
