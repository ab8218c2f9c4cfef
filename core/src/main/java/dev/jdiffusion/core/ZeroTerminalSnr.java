package dev.jdiffusion.core;

import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.Optional;

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

  /** The smallest schedule that ends at SNR = 0, to ask a parameterization what it does there. */
  private static final NoiseSchedule PROBE = NoiseSchedule.fromAlphabar(new double[] {0.5, 0.0});

  /**
   * Why {@code p} cannot be trained or sampled where SNR = 0, or empty when it can: every target and
   * estimate coefficient must be finite at the zero-SNR step. eps-prediction fails this ({@code x0_hat =
   * (x_t - sigma eps_hat) / sqrt(alphabar)} divides by 0); v- and x0-prediction pass.
   */
  static Optional<String> unsupported(Parameterization p) {
    Coefficients c = p.coefficients(PROBE, PROBE.timesteps() - 1);
    String[] names = {"targetX0", "targetEps", "x0FromXt", "x0FromOutput", "epsFromXt", "epsFromOutput"};
    double[] values = {c.targetX0(), c.targetEps(), c.x0FromXt(), c.x0FromOutput(), c.epsFromXt(), c.epsFromOutput()};
    StringBuilder bad = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        bad.append(bad.length() == 0 ? "" : ", ").append(names[i]).append(" = ").append(values[i]);
      }
    }
    return bad.length() == 0 ? Optional.empty() : Optional.of(bad.toString());
  }
}
