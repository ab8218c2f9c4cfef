package dev.jdiffusion.plugins.weighter;


import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * Uniform weight on the eps-MSE, DDPM's {@code L_simple} (Ho et al. 2020, eq. 14).
 */
public final class UniformWeighter implements WeighterProvider<UniformWeighter.Config> {

  /** No parameters: {@code {name: uniform}}. */
  public record Config() implements WeighterConfig {}

  @Override
  public String id() {
    return "uniform";
  }

  @Override
  public String description() {
    return "weight 1 on the eps-MSE: DDPM's L_simple (Ho et al. 2020)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    return SnrWeighter.of(LossSpace.EPS, logSnr -> 1.0);
  }
}
