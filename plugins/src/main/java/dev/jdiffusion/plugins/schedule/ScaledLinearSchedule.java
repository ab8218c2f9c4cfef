package dev.jdiffusion.plugins.schedule;

import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.schedule.Schedule;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.schedule.ScheduleProvider;

/**
 * Latent diffusion's "scaled linear" schedule, linear in {@code sqrt(beta)}:
 * {@code betas = linspace(sqrt(betaStart), sqrt(betaEnd), T)^2} (Rombach et al. 2022; Stable Diffusion's
 * 0.00085 .. 0.012).
 */
public final class ScaledLinearSchedule implements ScheduleProvider<ScaledLinearSchedule.Config> {

  /** {@code {name: scaled-linear, betaStart: 0.00085, betaEnd: 0.012}} */
  public record Config(
      @Param(value = "beta at t = 0, in (0, 1]", defaultValue = "0.00085") double betaStart,
      @Param(value = "beta at t = T-1, in [betaStart, 1]", defaultValue = "0.012") double betaEnd)
      implements ScheduleConfig {
    public Config {
      Require.halfOpenInterval("betaStart", betaStart, 0, 1);
      Require.halfOpenInterval("betaEnd", betaEnd, 0, 1);
      if (betaEnd < betaStart) {
        throw new InvalidParameterException("betaEnd", betaEnd, ">= betaStart (" + betaStart + ")");
      }
    }
  }

  @Override
  public String id() {
    return "scaled-linear";
  }

  @Override
  public String description() {
    return "betas linear in sqrt(beta), 0.00085..0.012 (Rombach et al. 2022)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Schedule create(Config c) {
    return timesteps -> {
      double[] roots =
          LinearSchedule.linspace(Math.sqrt(c.betaStart()), Math.sqrt(c.betaEnd()), timesteps);
      double[] betas = new double[timesteps];
      for (int t = 0; t < timesteps; t++) {
        betas[t] = roots[t] * roots[t];
      }
      return betas;
    };
  }
}
