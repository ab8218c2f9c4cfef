package dev.jdiffusion.plugins.weighter;


import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * {@code 1 / SNR} on the x0-MSE, hence {@code 1 / SNR^2} on the eps-MSE. Unbounded as SNR goes to 0: refused on a zero-terminal-SNR schedule.
 */
public final class InverseSnrWeighter implements WeighterProvider<InverseSnrWeighter.Config> {

  /** No parameters: {@code {name: inverse-snr}}. */
  public record Config() implements WeighterConfig {}

  @Override
  public String id() {
    return "inverse-snr";
  }

  @Override
  public String description() {
    return "1/SNR on the x0-MSE (1/SNR^2 on the eps-MSE)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    return SnrWeighter.of(LossSpace.X0, logSnr -> Math.exp(-logSnr), logSnr -> Math.exp(-2 * logSnr));
  }
}
