package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * One sampler run on a batch of images: the state is kept in double precision, the network sees float32.
 * It forms the x0 and eps estimates from the model's metadata (optionally clipping x0 to the pixel range),
 * draws each image's noise from its own stream, and counts network evaluations.
 */
final class Chain {
  final ModelMetadata metadata;
  final double[] alphabar;
  /** Values per image and in the whole batch. */
  final int size;
  final int length;
  private final Denoiser model;
  private final Noise noise;
  private final long firstImage;
  private final int n;
  private final boolean clip;
  private final IntConsumer onStep;
  private final float[] input;
  private final long[] tIn;
  private int evaluations;

  Chain(Denoiser model, Noise noise, long firstImage, int n, boolean clip, IntConsumer onStep) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    if (firstImage < 0) {
      throw new IllegalArgumentException("firstImage must be >= 0, got " + firstImage);
    }
    this.model = model;
    this.metadata = model.metadata();
    this.alphabar = metadata.alphabar();
    this.noise = noise;
    this.firstImage = firstImage;
    this.n = n;
    this.clip = clip;
    this.onStep = onStep;
    this.size = model.shape().size();
    this.length = n * size;
    this.input = new float[length];
    this.tIn = new long[n];
  }

  /** Each image's noise for {@code draw} (0: the starting noise), into {@code out}. */
  void noise(int draw, double[] out) {
    for (int j = 0; j < n; j++) {
      noise.fill(firstImage + j, draw, out, j * size, size);
    }
  }

  /** A new array of the starting noise x_T. */
  double[] start() {
    double[] x = new double[length];
    noise(0, x);
    return x;
  }

  /**
   * Evaluates the network once on {@code x} (VP state at timestep {@code t}) and writes the estimates
   * {@code x0_hat} and {@code eps_hat}; with clipping, x0 is clipped to the pixel range and eps recomputed
   * from it, {@code eps = (x_t - sqrt(ab) x0) / sqrt(1 - ab)}, so that both stay consistent with x_t.
   */
  void evaluate(double[] x, int t, double[] x0, double[] eps) throws OrtException {
    for (int i = 0; i < length; i++) {
      input[i] = (float) x[i];
    }
    Arrays.fill(tIn, t);
    float[] out = model.predict(input, tIn);
    if (out.length != length) {
      throw new IllegalStateException("the model returned " + out.length + " values for " + length + " inputs");
    }
    double a = metadata.x0FromXt(t);
    double b = metadata.x0FromOutput(t);
    double c = metadata.epsFromXt(t);
    double d = metadata.epsFromOutput(t);
    double root = Math.sqrt(alphabar[t]);
    double sigma = Math.sqrt(1 - alphabar[t]);
    double lo = metadata.pixelMin();
    double hi = metadata.pixelMax();
    for (int i = 0; i < length; i++) {
      double xt = input[i];
      double x0i = a * xt + b * out[i];
      double epsi = c * xt + d * out[i];
      if (clip) {
        double clipped = Math.max(lo, Math.min(hi, x0i));
        if (clipped != x0i) {
          x0i = clipped;
          epsi = (xt - root * x0i) / sigma;
        }
      }
      x0[i] = x0i;
      eps[i] = epsi;
    }
    onStep.accept(++evaluations);
  }

  /** The result as float32. */
  static float[] toFloats(double[] x) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) x[i];
    }
    return out;
  }
}
