package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * Min-SNR-gamma, {@code min(SNR, gamma)} on the x0-MSE (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy", eq. 9; gamma = 5 is their default). On the eps-MSE it is {@code min(1, gamma / SNR)}, written {@code min(1, gamma * exp(-logSnr))} so that it stays 1 at zero SNR.
 */
public final class MinSnrWeighter implements WeighterProvider<MinSnrWeighter.Config> {

  /** {@code {name: min-snr, gamma: 5}} */
  public record Config(@Param(value = "SNR clamp gamma, > 0", defaultValue = "5") double gamma)
      implements WeighterConfig {
    public Config {
      Require.positive("gamma", gamma);
    }
  }

  @Override
  public String id() {
    return "min-snr";
  }

  @Override
  public String description() {
    return "min(SNR, gamma) on the x0-MSE, gamma = 5 (Hang et al. 2023)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    double gamma = c.gamma();
    return SnrWeighter.of(
        LossSpace.X0,
        logSnr -> Math.min(Math.exp(logSnr), gamma),
        logSnr -> Math.min(1.0, gamma * Math.exp(-logSnr)));
  }
}
