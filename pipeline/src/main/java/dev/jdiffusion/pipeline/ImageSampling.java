package dev.jdiffusion.pipeline;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.image.ImageGrid;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import dev.jdiffusion.sampling.sampler.Sampler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Draws images from an exported denoiser in batches, and writes them as {@code samples.npy} and {@code grid.png}. */
public final class ImageSampling {
  private ImageSampling() {}

  /**
   * Draws {@code n} images; batch {@code b} (0, 1, ...) starts from the noise of seed {@code seed + b}.
   *
   * @param model an ONNX file written by the exporter
   * @param sampler the sampler
   * @param n images to draw
   * @param batch images per network call
   * @param seed noise seed of the first batch
   * @param threads ONNX Runtime threads
   * @param log progress and the final rate
   * @param progressBar a progress bar (an interactive terminal) instead of a line every 10%
   * @return the images, {@code [n, C, H, W]} flattened, in the model's pixel range
   * @throws PipelineException when {@code model} is not a denoiser this library can run
   */
  public static float[] sample(Path model, Sampler sampler, int n, int batch, long seed, int threads,
      PrintWriter log, boolean progressBar) throws OrtException {
    OnnxDenoiser d;
    try {
      d = OnnxDenoiser.open(model, threads);
    } catch (IllegalArgumentException e) {
      throw new PipelineException(e.getMessage(), e);
    }
    try (d) {
      int size = d.shape().size();
      float[] all = new float[n * size];
      int perImage = sampler.steps(d.metadata().timesteps());
      long total = (long) perImage * ((n + batch - 1) / batch);
      Progress p = Progress.start("sampling " + n + " images", total, log, progressBar);
      try {
        long[] done = {0};
        for (int start = 0, b = 0; start < n; start += batch, b++) {
          int m = Math.min(batch, n - start);
          long base = done[0];
          float[] x = sampler.sample(d, m, seed + b, k -> p.stepTo(base + k, null));
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

  /** Writes {@code out/samples.npy} (float32 {@code [n, C, H, W]}) and {@code out/grid.png} (the first 64). */
  public static void write(Path out, float[] images, int n, ModelMetadata metadata) throws IOException {
    Files.createDirectories(out);
    var shape = metadata.imageShape();
    Npy.write(out.resolve("samples.npy"),
        NpyArray.float32(images, n, shape.channels(), shape.height(), shape.width()));
    ImageGrid.write(out.resolve("grid.png"), images, shape, 64, 8, metadata.pixelMin(), metadata.pixelMax());
  }
}
