package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * The smoothed-KL weight {@code sigma^2 / (sigma^2 + lambda)}, {@code sigma^2 = 1 - alphabar}, on the eps-MSE ("Smoothed-KL Reweighting: A Principled Account and Matching Rule for SNR-Based Diffusion Training", 2026). It equals Soft-Min-SNR with {@code gamma' = (1 + lambda) / lambda} times {@code 1 / (1 + lambda)}, and Min-SNR with {@code gamma = 1 / lambda} at high SNR; see {@code MatchingRule}.
 */
public final class SmoothedKlWeighter implements WeighterProvider<SmoothedKlWeighter.Config> {

  /** {@code {name: smoothed-kl, lambda: 0.2}} */
  public record Config(@Param("smoothing lambda, > 0 (required)") double lambda) implements WeighterConfig {
    public Config {
      Require.positive("lambda", lambda);
    }
  }

  @Override
  public String id() {
    return "smoothed-kl";
  }

  @Override
  public String description() {
    return "sigma^2/(sigma^2 + lambda) on the eps-MSE (Smoothed-KL Reweighting, 2026)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    double lambda = c.lambda();
    return SnrWeighter.of(
        LossSpace.EPS,
        logSnr -> {
          double sigma2 = StableMath.sigma2(logSnr);
          return sigma2 / (sigma2 + lambda);
        });
  }
}
