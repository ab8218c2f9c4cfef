package dev.jdiffusion.spi.weighter;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import org.apiguardian.api.API;

/**
 * A loss weight per timestep, defined in a declared space. The framework converts it to the loss space
 * of the parameterization being trained, so the objective is the same whatever the network predicts.
 *
 * <p>Most weighters are functions of log-SNR alone: implement {@link SnrWeighter} instead. Implement this
 * interface directly when the weight needs neighbouring timesteps (the VLB weight does).
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface Weighter {

  /** The space in which {@link #weight} is defined. */
  LossSpace space();

  /** The weight at timestep {@code t} of {@code schedule}, in {@link #space()}; finite and {@code >= 0}. */
  double weight(NoiseSchedule schedule, int t);

  /**
   * The same weight on the eps-MSE. The default multiplies by the exact conversion factor, which is
   * infinite at zero SNR for x0- and v-space weights; override it with a closed form that stays finite
   * there (e.g. Min-SNR: {@code min(1, gamma * exp(-logSnr))}, not {@code min(SNR, gamma) / SNR}).
   */
  default double epsWeight(NoiseSchedule schedule, int t) {
    return weight(schedule, t) * space().toEpsFactor(schedule.logSnr(t));
  }
}
