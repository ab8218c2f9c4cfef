package dev.jdiffusion.plugins.schedule;

import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.schedule.Schedule;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.schedule.ScheduleProvider;

/** DDPM's linear schedule, {@code betas = linspace(betaStart, betaEnd, T)} (Ho et al. 2020, section 4). */
public final class LinearSchedule implements ScheduleProvider<LinearSchedule.Config> {

  /** {@code {name: linear, betaStart: 1e-4, betaEnd: 0.02}} */
  public record Config(
      @Param(value = "beta at t = 0, in (0, 1]", defaultValue = "0.0001") double betaStart,
      @Param(value = "beta at t = T-1, in [betaStart, 1]", defaultValue = "0.02") double betaEnd)
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
    return "linear";
  }

  @Override
  public String description() {
    return "DDPM linear betas from betaStart to betaEnd (Ho et al. 2020)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Schedule create(Config c) {
    return timesteps -> linspace(c.betaStart(), c.betaEnd(), timesteps);
  }

  static double[] linspace(double start, double end, int n) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = start + (end - start) * i / (n - 1);
    }
    return out;
  }
}
