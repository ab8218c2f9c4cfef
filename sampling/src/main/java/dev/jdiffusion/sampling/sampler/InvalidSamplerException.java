package dev.jdiffusion.sampling.sampler;

/**
 * A sampler setting that {@link Samplers#create} refuses. {@link #field()} names the setting as
 * {@link SamplerOptions} does ({@code sampler}, {@code steps}, {@code spacing}, {@code eta}, {@code variance}),
 * so that a command line can say {@code --eta} and a configuration file {@code evaluation.eta}.
 */
public final class InvalidSamplerException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String field;
  private final String reason;

  public InvalidSamplerException(String field, String reason) {
    super(field + ": " + reason);
    this.field = field;
    this.reason = reason;
  }

  /** The setting at fault. */
  public String field() {
    return field;
  }

  /** What is wrong and what would be accepted, without the field name. */
  public String reason() {
    return reason;
  }
}
