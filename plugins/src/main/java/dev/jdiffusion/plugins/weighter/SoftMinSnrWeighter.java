package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * Soft-Min-SNR, {@code (1/SNR + 1/gamma)^-1} on the x0-MSE (Crowson et al. 2024, "Scalable High-Resolution Pixel-Space Image Synthesis with Hourglass Diffusion Transformers", section 4): on the eps-MSE {@code gamma / (SNR + gamma)}, written as the logistic function of {@code ln gamma - logSnr}.
 */
public final class SoftMinSnrWeighter implements WeighterProvider<SoftMinSnrWeighter.Config> {

  /** {@code {name: soft-min-snr, gamma: 6}} */
  public record Config(@Param("SNR scale gamma, > 0 (required)") double gamma) implements WeighterConfig {
    public Config {
      Require.positive("gamma", gamma);
    }
  }

  @Override
  public String id() {
    return "soft-min-snr";
  }

  @Override
  public String description() {
    return "(1/SNR + 1/gamma)^-1 on the x0-MSE (Crowson et al. 2024)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    double logGamma = Math.log(c.gamma());
    double gamma = c.gamma();
    return SnrWeighter.of(
        LossSpace.X0,
        logSnr -> gamma * StableMath.sigmoid(logSnr - logGamma),
        logSnr -> StableMath.sigmoid(logGamma - logSnr));
  }
}
