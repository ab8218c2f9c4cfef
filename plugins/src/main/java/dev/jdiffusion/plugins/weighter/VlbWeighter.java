package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * The weight that makes the eps-MSE the DDPM variational bound (Ho et al. 2020, eq. 12; Kingma et al.
 * 2021, "Variational Diffusion Models", eq. 13):
 * {@code (SNR(t-1) - SNR(t)) / (2 SNR(t))} on the eps-MSE for {@code t >= 1}, which equals
 * {@code beta_t^2 / (2 sigma_t^2 alpha_t (1 - alphabar_t))} with {@code sigma_t^2} the posterior variance.
 * It is computed as {@code expm1(logSnr(t-1) - logSnr(t)) / 2}, exact when neighbouring SNRs are close.
 *
 * <p>At {@code t = 0} the posterior variance is 0 and the bound term is the decoder
 * {@code -log p(x0 | x1)}; with a Gaussian decoder of variance {@code beta_0} (DDPM's fixed choice) its
 * eps-space weight is {@code 1 / (2 alpha_0)}, which is what this weighter gives there.
 */
public final class VlbWeighter implements WeighterProvider<VlbWeighter.Config> {

  /** No parameters: {@code {name: vlb}}. */
  public record Config() implements WeighterConfig {}

  @Override
  public String id() {
    return "vlb";
  }

  @Override
  public String description() {
    return "the DDPM variational bound, (SNR(t-1) - SNR(t)) / (2 SNR(t)) on the eps-MSE (Ho et al. 2020)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    return new Weighter() {
      @Override
      public LossSpace space() {
        return LossSpace.EPS;
      }

      @Override
      public double weight(NoiseSchedule schedule, int t) {
        if (t == 0) {
          return 1 / (2 * schedule.alpha(0));
        }
        return Math.expm1(schedule.logSnr(t - 1) - schedule.logSnr(t)) / 2;
      }
    };
  }
}
