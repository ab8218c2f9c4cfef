package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import java.util.List;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * Samplers by name, for command lines and configuration files, and batched drawing.
 *
 * <table>
 *   <caption>Samplers</caption>
 *   <tr><th>name</th><th>method</th><th>default spacing</th><th>network evaluations</th></tr>
 *   <tr><td>{@code ddpm}</td><td>{@link DdpmSampler} (takes {@code variance})</td><td>trailing</td><td>steps</td></tr>
 *   <tr><td>{@code ddim}</td><td>{@link DdimSampler} (takes {@code eta})</td><td>trailing</td><td>steps</td></tr>
 *   <tr><td>{@code euler}</td><td>{@link EulerSampler}</td><td>karras</td><td>steps</td></tr>
 *   <tr><td>{@code heun}</td><td>{@link HeunSampler}</td><td>karras</td><td>2 steps - 1</td></tr>
 *   <tr><td>{@code dpmpp-2m}</td><td>{@link Dpmpp2mSampler}</td><td>logsnr</td><td>steps</td></tr>
 * </table>
 *
 * Every sampler takes every {@link Spacing}; whether a spacing can be formed on a given model (a sigma grid
 * needs a finite terminal sigma) is checked when sampling starts.
 */
public final class Samplers {
  private static final List<String> NAMES = List.of("ddpm", "ddim", "euler", "heun", "dpmpp-2m");

  private Samplers() {}

  /** The names {@link #create} accepts. */
  public static List<String> names() {
    return NAMES;
  }

  /**
   * The default spacing of the named sampler.
   *
   * @throws InvalidSamplerException (field {@code sampler}) for an unknown name
   */
  public static Spacing defaultSpacing(String name) {
    return switch (canonical(name)) {
      case "ddpm", "ddim" -> Spacing.TRAILING;
      case "euler", "heun" -> Spacing.KARRAS;
      case "dpmpp-2m" -> Spacing.LOGSNR;
      default -> throw new AssertionError(name);
    };
  }

  /**
   * The sampler {@code name} with these options.
   *
   * @throws InvalidSamplerException naming the field: an unknown name, steps below 1, eta outside [0, 1], or
   *     eta or variance given to a sampler that does not take it
   */
  public static Sampler create(String name, SamplerOptions options) {
    String id = canonical(name);
    if (options.steps() < 1) {
      throw new InvalidSamplerException("steps", "must be >= 1, got " + options.steps());
    }
    if (options.eta() != null && !id.equals("ddim")) {
      throw new InvalidSamplerException("eta", "only sampler ddim takes eta, not " + id);
    }
    if (options.variance() != null && !id.equals("ddpm")) {
      throw new InvalidSamplerException("variance", "only sampler ddpm takes variance, not " + id);
    }
    Spacing spacing = options.spacing() == null ? defaultSpacing(id) : options.spacing();
    int steps = options.steps();
    boolean clip = options.clipX0();
    return switch (id) {
      case "ddpm" -> new DdpmSampler(steps, spacing,
          options.variance() == null ? DdpmSampler.Variance.POSTERIOR : options.variance(), clip);
      case "ddim" -> {
        double eta = options.eta() == null ? 0 : options.eta();
        if (!(eta >= 0 && eta <= 1)) {
          throw new InvalidSamplerException("eta", "must be in [0, 1], got " + eta);
        }
        yield new DdimSampler(steps, spacing, eta, clip);
      }
      case "euler" -> new EulerSampler(steps, spacing, clip);
      case "heun" -> new HeunSampler(steps, spacing, clip);
      case "dpmpp-2m" -> new Dpmpp2mSampler(steps, spacing, clip);
      default -> throw new AssertionError(id);
    };
  }

  /**
   * Draws images {@code 0 .. n-1} in batches of at most {@code batch}: image i's noise is {@code noise}'s for
   * image i, so the result does not depend on {@code batch} (beyond the network's own arithmetic, which ONNX
   * Runtime may round differently at another batch size).
   *
   * @param evaluations called after each network evaluation with the batch evaluations done so far, summed
   *     over batches (a sampler's {@link Sampler#steps} per batch)
   */
  public static float[] draw(Denoiser model, Sampler sampler, Noise noise, int n, int batch, LongConsumer evaluations)
      throws OrtException {
    if (n < 1 || batch < 1) {
      throw new IllegalArgumentException("n and batch must be >= 1, got " + n + " and " + batch);
    }
    int size = model.shape().size();
    float[] all = new float[Math.multiplyExact(n, size)];
    long done = 0;
    for (int start = 0; start < n; start += batch) {
      int m = Math.min(batch, n - start);
      long base = done;
      int[] last = {0};
      float[] x = sampler.sample(model, noise, start, m, k -> {
        last[0] = k;
        evaluations.accept(base + k);
      });
      done = base + last[0];
      System.arraycopy(x, 0, all, start * size, m * size);
    }
    return all;
  }

  private static String canonical(String name) {
    String id = name == null ? "" : name.toLowerCase(Locale.ROOT);
    if (!NAMES.contains(id)) {
      throw new InvalidSamplerException("sampler", "'" + name + "' is not one of " + String.join(", ", NAMES));
    }
    return id;
  }
}
