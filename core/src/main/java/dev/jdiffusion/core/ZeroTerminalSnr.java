package dev.jdiffusion.core;

import dev.jdiffusion.spi.schedule.NoiseSchedule;

/**
 * Rescales a schedule to zero terminal SNR, keeping the first timestep: {@code sqrt(alphabar)} is shifted
 * so its last value is 0 and scaled so its first value is unchanged (Lin et al. 2024, "Common Diffusion
 * Noise Schedules and Sample Steps are Flawed", Algorithm 1).
 */
final class ZeroTerminalSnr {
  private ZeroTerminalSnr() {}

  static NoiseSchedule rescale(NoiseSchedule schedule) {
    int n = schedule.timesteps();
    double first = Math.sqrt(schedule.alphabar(0));
    double last = Math.sqrt(schedule.alphabar(n - 1));
    double[] alphabar = new double[n];
    for (int t = 0; t < n; t++) {
      double s = (Math.sqrt(schedule.alphabar(t)) - last) * first / (first - last);
      alphabar[t] = s * s;
    }
    alphabar[n - 1] = 0;
    return NoiseSchedule.fromAlphabar(alphabar);
  }
}
