package dev.jdiffusion.plugins.weighter;


import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * {@code SNR} on the x0-MSE. Equal to {@code uniform} in eps space ({@code MSE_x0 * SNR = MSE_eps}); kept because textbooks list it as a strategy of its own.
 */
public final class SnrLossWeighter implements WeighterProvider<SnrLossWeighter.Config> {

  /** No parameters: {@code {name: snr}}. */
  public record Config() implements WeighterConfig {}

  @Override
  public String id() {
    return "snr";
  }

  @Override
  public String description() {
    return "SNR on the x0-MSE, i.e. uniform on the eps-MSE";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    return SnrWeighter.of(LossSpace.X0, Math::exp, logSnr -> 1.0);
  }
}
