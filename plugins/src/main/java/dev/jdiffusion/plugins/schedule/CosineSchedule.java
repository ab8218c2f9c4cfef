package dev.jdiffusion.plugins.schedule;

import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.schedule.Schedule;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.schedule.ScheduleProvider;

/**
 * The cosine schedule of Nichol and Dhariwal 2021 ("Improved Denoising Diffusion Probabilistic Models",
 * eq. 17): {@code f(u) = cos(((u + s) / (1 + s)) * pi / 2)^2}, {@code alphabar_t = f(t / T) / f(0)} for
 * {@code t = 1 .. T}, so that {@code beta} at our index {@code t = 0 .. T-1} is
 * {@code min(1 - f((t + 1) / T) / f(t / T), maxBeta)}. The clip keeps the last steps from becoming
 * singular.
 */
public final class CosineSchedule implements ScheduleProvider<CosineSchedule.Config> {

  /** {@code {name: cosine, s: 0.008, maxBeta: 0.999}} */
  public record Config(
      @Param(value = "offset s that keeps beta from being too small near t = 0, >= 0", defaultValue = "0.008")
          double s,
      @Param(value = "clip of each beta, in (0, 1]", defaultValue = "0.999") double maxBeta)
      implements ScheduleConfig {
    public Config {
      Require.nonNegative("s", s);
      Require.halfOpenInterval("maxBeta", maxBeta, 0, 1);
    }
  }

  @Override
  public String id() {
    return "cosine";
  }

  @Override
  public String description() {
    return "cosine alphabar, s = 0.008, betas clipped at 0.999 (Nichol & Dhariwal 2021)";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Schedule create(Config c) {
    return timesteps -> {
      double[] betas = new double[timesteps];
      for (int t = 0; t < timesteps; t++) {
        double ratio = f((t + 1.0) / timesteps, c.s()) / f((double) t / timesteps, c.s());
        betas[t] = Math.min(1 - ratio, c.maxBeta());
      }
      return betas;
    };
  }

  private static double f(double u, double s) {
    double c = Math.cos((u + s) / (1 + s) * Math.PI / 2);
    return c * c;
  }
}
