package dev.jdiffusion.plugins.weighter;


import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * Truncated SNR, {@code max(SNR, 1)} on the x0-MSE (Salimans and Ho 2022, "Progressive Distillation", section 4): {@code max(1, 1 / SNR)} on the eps-MSE.
 */
public final class TruncatedSnrWeighter implements WeighterProvider<TruncatedSnrWeighter.Config> {

  /** No parameters: {@code {name: truncated-snr}}. */
  public record Config() implements WeighterConfig {}

  @Override
  public String id() {
    return "truncated-snr";
  }

  @Override
  public String description() {
    return "max(SNR, 1) on the x0-MSE (Salimans & Ho 2022)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    return SnrWeighter.of(
        LossSpace.X0, logSnr -> Math.exp(Math.max(logSnr, 0)), logSnr -> Math.exp(Math.max(-logSnr, 0)));
  }
}
