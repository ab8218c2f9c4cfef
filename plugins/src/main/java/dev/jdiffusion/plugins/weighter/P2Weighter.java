package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * Perception-prioritized weighting, {@code 1 / (k + SNR)^gamma} on the eps-MSE (Choi et al. 2022, "Perception Prioritized Training of Diffusion Models", eq. 8; k = 1, gamma in {0.5, 1}).
 */
public final class P2Weighter implements WeighterProvider<P2Weighter.Config> {

  /** {@code {name: p2, k: 1, gamma: 1}} */
  public record Config(
      @Param(value = "offset k, >= 0", defaultValue = "1") double k,
      @Param(value = "exponent gamma, >= 0", defaultValue = "1") double gamma)
      implements WeighterConfig {
    public Config {
      Require.nonNegative("k", k);
      Require.nonNegative("gamma", gamma);
    }
  }

  @Override
  public String id() {
    return "p2";
  }

  @Override
  public String description() {
    return "1/(k + SNR)^gamma on the eps-MSE, k = 1, gamma = 1 (Choi et al. 2022)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    double k = c.k();
    double gamma = c.gamma();
    return SnrWeighter.of(LossSpace.EPS, logSnr -> Math.pow(k + Math.exp(logSnr), -gamma));
  }
}
