package com.acme.diffusion;

import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/**
 * The sigmoid loss weighting of Kingma and Gao 2023, "Understanding Diffusion Objectives as the ELBO with
 * Simple Data Augmentation" (NeurIPS 2023, arXiv:2303.00848), as a jdiffusion weighter.
 *
 * <p><b>The paper's conventions.</b> Its weighted loss is
 * {@code L_w = 1/2 E[t ~ U(0, 1), eps] [ w(lambda_t) * (-dlambda/dt) * ||eps_hat - eps||^2 ]} with
 * {@code lambda = log SNR}: the weighting {@code w} applies to the eps-MSE and is relative to the ELBO
 * ({@code w = 1} is the ELBO itself; the density of log-SNR that the time sampler induces is the factor
 * {@code -dlambda/dt}, which is why eps-prediction with uniform weight on the cosine schedule appears there
 * as {@code w = sech(lambda / 2)}). The sigmoid weighting is {@code w(lambda) = sigmoid(-lambda + b)}: 1/2 at
 * {@code lambda = b}, tending to 1 in the noisy limit and decaying like {@code exp(b - lambda)} toward clean
 * data; a larger bias {@code b} keeps more weight on the less noisy steps. Being monotone in lambda, it
 * makes {@code L_w} the ELBO of the data augmented with Gaussian noise, the paper's main result.
 *
 * <p><b>In discrete time.</b> With {@code t} drawn uniformly from {@code 0 .. T-1}, the ELBO's weight on the
 * eps-MSE of step {@code t} is the variational-bound term
 * {@code (SNR(t-1) - SNR(t)) / (2 SNR(t)) = expm1(lambda(t-1) - lambda(t)) / 2} (Kingma et al. 2021,
 * "Variational Diffusion Models", the discrete-time loss; jdiffusion's built-in {@code vlb}), and at
 * {@code t = 0}, where the bound's term is the decoder, {@code 1 / (2 alpha_0)} as {@code vlb} has it. This
 * weighter gives {@code sigmoid(b - lambda(t))} times that, in eps space; as {@code b} grows it becomes
 * {@code vlb}.
 *
 * <p><b>Stability.</b> The sigmoid is evaluated in a form that is exact at both infinities. Where SNR = 0
 * (a zero-terminal-SNR schedule) the ELBO factor itself is infinite, as for {@code vlb}: the framework then
 * refuses the schedule with the timestep and log-SNR rather than train with an infinite weight.
 */
public final class SigmoidWeighter implements WeighterProvider<SigmoidWeighter.Config> {

  /** {@code {name: acme-sigmoid, bias: 2}} */
  public record Config(@Param("bias b, the log-SNR where the sigmoid is 1/2; finite (required)") double bias)
      implements WeighterConfig {
    public Config {
      if (!Double.isFinite(bias)) {
        throw new InvalidParameterException("bias", bias, "a finite number");
      }
    }
  }

  @Override
  public String id() {
    return "acme-sigmoid";
  }

  @Override
  public String description() {
    return "sigmoid(b - logSNR) relative to the ELBO, on the eps-MSE (Kingma & Gao 2023)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Weighter create(Config c) {
    double bias = c.bias();
    return new Weighter() {
      @Override
      public LossSpace space() {
        return LossSpace.EPS;
      }

      @Override
      public double weight(NoiseSchedule schedule, int t) {
        return sigmoid(bias - schedule.logSnr(t)) * elboWeight(schedule, t);
      }
    };
  }

  /** The ELBO's weight on the eps-MSE of step {@code t}: {@code expm1(lambda(t-1) - lambda(t)) / 2}. */
  static double elboWeight(NoiseSchedule schedule, int t) {
    if (t == 0) {
      return 1 / (2 * schedule.alpha(0));
    }
    return Math.expm1(schedule.logSnr(t - 1) - schedule.logSnr(t)) / 2;
  }

  /** {@code 1 / (1 + exp(-x))}, exact at {@code x = +-infinity} and free of overflow. */
  static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }
}
