package dev.jdiffusion.spi.schedule;

import org.apiguardian.api.API;

/** A noise schedule: the betas for a given number of timesteps. */
@FunctionalInterface
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface Schedule {

  /**
   * {@code betas[t]} for {@code t = 0 .. timesteps-1}, each in {@code (0, 1]} (1 only for zero terminal SNR).
   *
   * @param timesteps T, at least 2
   */
  double[] betas(int timesteps);
}
