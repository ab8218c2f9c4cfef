package dev.jdiffusion.spi.parameterization;

import dev.jdiffusion.spi.schedule.NoiseSchedule;
import org.apiguardian.api.API;

/** What the network predicts, as per-timestep coefficients that the trainer and every sampler use. */
@FunctionalInterface
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface Parameterization {

  /** The target and estimate coefficients at timestep {@code t} of {@code schedule}. */
  Coefficients coefficients(NoiseSchedule schedule, int t);
}
