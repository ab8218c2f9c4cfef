package dev.jdiffusion.plugins.parameterization;

import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;

/**
 * The network predicts the noise {@code eps} (Ho et al. 2020):
 * {@code x0_hat = (x_t - sigma * out) / sqrt(alphabar)}, {@code eps_hat = out}.
 */
public final class EpsParameterization implements ParameterizationProvider<EpsParameterization.Config> {

  /** No parameters: {@code {name: eps}}. */
  public record Config() implements ParameterizationConfig {}

  @Override
  public String id() {
    return "eps";
  }

  @Override
  public String description() {
    return "predict the noise eps (Ho et al. 2020)";
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
      return new Coefficients(0, 1, 1 / rootAlphabar, -sigma / rootAlphabar, 0, 1);
    };
  }
}
