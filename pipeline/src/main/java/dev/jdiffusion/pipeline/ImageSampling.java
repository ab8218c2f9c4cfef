package dev.jdiffusion.pipeline;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.Limits;
import dev.jdiffusion.core.image.ImageGrid;
import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import dev.jdiffusion.sampling.sampler.Noise;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.Samplers;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Draws images from an exported denoiser in batches, and writes them as {@code samples.npy} and {@code grid.png}. */
public final class ImageSampling {
  private ImageSampling() {}

  /**
   * Draws images {@code 0 .. n-1}: image i's noise comes from {@link Noise#seeded(long) seed}'s stream for i alone,
   * so the images do not depend on {@code batch}, and two seeds share no noise.
   *
   * @param model an ONNX file written by the exporter
   * @param sampler the sampler
   * @param n images to draw
   * @param batch images per network call
   * @param seed noise seed
   * @param threads ONNX Runtime threads
   * @param log the sampler and its grid, progress, and the final rate
   * @param progressBar a progress bar (an interactive terminal) instead of a line every 10%
   * @return the images, {@code [n, C, H, W]} flattened, in the model's pixel range
   * @throws PipelineException when {@code model} is not a denoiser this library can run, or the sampler's grid
   *     cannot be formed on it
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
      if ((long) n * size > Limits.MAX_ARRAY) {
        throw new PipelineException("--n " + n + " is not allowed for images of " + d.shape() + ": at most "
            + Limits.MAX_ARRAY / size + " images are held in one array");
      }
      Limits.requireHeap("--n", n, n + " images of " + d.shape(), 4L * n * size);
      int[] grid;
      try {
        grid = sampler.timesteps(d.metadata());
      } catch (IllegalArgumentException e) {
        throw new PipelineException(model + ": " + e.getMessage(), e);
      }
      int perImage = sampler.evaluations(d.metadata());
      long total = (long) perImage * ((n + batch - 1) / batch);
      log.printf(Locale.ROOT, "%s (%s spacing): %d steps, t = %d .. %d, %d network evaluations per image%n",
          sampler.name(), sampler.spacing(), grid.length, grid[0], grid[grid.length - 1], perImage);
      Progress p = Progress.start("sampling " + n + " images", total, log, progressBar);
      float[] all;
      try {
        all = Samplers.draw(d, sampler, Noise.seeded(seed), n, batch, k -> p.stepTo(k, null));
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
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      throw AtomicFiles.naming(out, e);
    }
    AtomicFiles.removeTemporaryFiles(out, AtomicFiles::leftBehind); // what a killed earlier write left
    var shape = metadata.imageShape();
    Npy.write(out.resolve("samples.npy"),
        NpyArray.float32(images, n, shape.channels(), shape.height(), shape.width()));
    ImageGrid.write(out.resolve("grid.png"), images, shape, 64, 8, metadata.pixelMin(), metadata.pixelMax());
  }
}
