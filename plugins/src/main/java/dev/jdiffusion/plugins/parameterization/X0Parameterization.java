package dev.jdiffusion.plugins.parameterization;

import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;

/**
 * The network predicts the clean sample {@code x0}: {@code x0_hat = out},
 * {@code eps_hat = (x_t - sqrt(alphabar) * out) / sigma}.
 */
public final class X0Parameterization implements ParameterizationProvider<X0Parameterization.Config> {

  /** No parameters: {@code {name: x0}}. */
  public record Config() implements ParameterizationConfig {}

  @Override
  public String id() {
    return "x0";
  }

  @Override
  public String description() {
    return "predict the clean sample x0";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Parameterization create(Config config) {
    return (schedule, t) -> {
      double rootAlphabar = Math.exp(0.5 * schedule.logAlphabar(t));
      double sigma = Math.sqrt(schedule.sigma2(t));
      return new Coefficients(1, 0, 0, 1, 1 / sigma, -rootAlphabar / sigma);
    };
  }
}
