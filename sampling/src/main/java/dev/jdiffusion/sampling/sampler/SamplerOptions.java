package dev.jdiffusion.sampling.sampler;

/**
 * The settings {@link Samplers#create} reads. Null means "not given": the sampler's default spacing, no eta
 * (DDIM then uses 0), no variance (DDPM then uses {@link DdpmSampler.Variance#POSTERIOR}).
 *
 * @param steps steps per image (network evaluations, except Heun: {@code 2 steps - 1})
 * @param spacing the timestep grid, or null for the sampler's default
 * @param eta DDIM's stochasticity in [0, 1], or null; only DDIM takes it
 * @param variance DDPM's step variance, or null; only DDPM takes it
 * @param clipX0 clip the x0 estimate to the pixel range at every step
 *
 * <p>Serializable, so that a distributed job can ship a sampler's settings to its tasks (each builds the
 * sampler with {@link Samplers#create}).
 */
public record SamplerOptions(int steps, Spacing spacing, Double eta, DdpmSampler.Variance variance, boolean clipX0)
    implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  /** {@code steps} steps, every other setting at its default (x0 clipped). */
  public static SamplerOptions of(int steps) {
    return new SamplerOptions(steps, null, null, null, true);
  }

  public SamplerOptions withSpacing(Spacing value) {
    return new SamplerOptions(steps, value, eta, variance, clipX0);
  }

  public SamplerOptions withEta(Double value) {
    return new SamplerOptions(steps, spacing, value, variance, clipX0);
  }

  public SamplerOptions withVariance(DdpmSampler.Variance value) {
    return new SamplerOptions(steps, spacing, eta, value, clipX0);
  }

  public SamplerOptions withClipX0(boolean value) {
    return new SamplerOptions(steps, spacing, eta, variance, value);
  }
}
