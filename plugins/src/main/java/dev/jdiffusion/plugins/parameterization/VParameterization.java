package dev.jdiffusion.plugins.parameterization;

import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;

/**
 * The network predicts the velocity {@code v = sqrt(alphabar) eps - sigma x0} (Salimans and Ho 2022):
 * {@code x0_hat = sqrt(alphabar) x_t - sigma * out}, {@code eps_hat = sigma x_t + sqrt(alphabar) * out}.
 */
public final class VParameterization implements ParameterizationProvider<VParameterization.Config> {

  /** No parameters: {@code {name: v}}. */
  public record Config() implements ParameterizationConfig {}

  @Override
  public String id() {
    return "v";
  }

  @Override
  public String description() {
    return "predict the velocity v = sqrt(alphabar) eps - sqrt(1 - alphabar) x0 (Salimans & Ho 2022)";
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
      return new Coefficients(-sigma, rootAlphabar, rootAlphabar, -sigma, sigma, rootAlphabar);
    };
  }
}
