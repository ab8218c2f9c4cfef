package dev.jdiffusion.core;

import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import java.util.Objects;

/**
 * A schedule as a configuration names it: {@code {name: cosine, s: 0.008, timesteps: 1000}}. Two options
 * belong to every schedule: {@code timesteps} (T, from 2 to {@value Limits#MAX_TIMESTEPS}; default 1000) and {@code zeroTerminalSnr}
 * (default false), which rescales {@code sqrt(alphabar)} so that the last timestep has SNR exactly 0 and
 * the first is unchanged (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are
 * Flawed", Algorithm 1).
 */
public record ScheduleSpec(ScheduleConfig config, int timesteps, boolean zeroTerminalSnr) {
  public static final int DEFAULT_TIMESTEPS = 1000;

  public ScheduleSpec {
    Objects.requireNonNull(config, "config");
    Require.atLeast("timesteps", timesteps, 2);
    if (timesteps > Limits.MAX_TIMESTEPS) {
      throw new InvalidParameterException("timesteps", timesteps, "<= " + Limits.MAX_TIMESTEPS
          + " (DDPM uses 1000; each per-timestep table holds one value per step)");
    }
  }

  public static ScheduleSpec of(ScheduleConfig config) {
    return new ScheduleSpec(config, DEFAULT_TIMESTEPS, false);
  }
}
