package dev.jdiffusion.testkit;

import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The framework's standard schedules, computed here from their published formulas (DESIGN.md, "The
 * math") rather than taken from the built-in plugins, so that a third-party plugin is tested without
 * them and the built-ins can be checked against an independent reference.
 *
 * <ul>
 *   <li>{@code linear}: DDPM, {@code betas = linspace(1e-4, 0.02, T)} (Ho et al. 2020, section 4);
 *   <li>{@code cosine}: {@code f(u) = cos(((u + s) / (1 + s)) pi / 2)^2}, {@code s = 0.008},
 *       {@code beta_t = min(1 - f((t + 1) / T) / f(t / T), 0.999)} (Nichol and Dhariwal 2021, eq. 17);
 *   <li>{@code scaled-linear}: {@code betas = linspace(sqrt(8.5e-4), sqrt(0.012), T)^2} (Rombach et al.
 *       2022, the Stable Diffusion schedule);
 *   <li>each rescaled to zero terminal SNR: {@code sqrt(alphabar)} shifted so that its last value is 0 and
 *       scaled so that its first value is kept (Lin et al. 2024, "Common Diffusion Noise Schedules and
 *       Sample Steps are Flawed", Algorithm 1).
 * </ul>
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ReferenceSchedules {
  /** T of the reference tables. */
  public static final int TIMESTEPS = 1000;

  private ReferenceSchedules() {}

  /** DDPM linear betas from 1e-4 to 0.02. */
  public static NoiseSchedule linear(int timesteps) {
    double[] betas = new double[timesteps];
    for (int t = 0; t < timesteps; t++) {
      betas[t] = 1e-4 + (0.02 - 1e-4) * t / (timesteps - 1);
    }
    return NoiseSchedule.fromBetas(betas);
  }

  /** Cosine alphabar with {@code s = 0.008}, betas clipped at 0.999. */
  public static NoiseSchedule cosine(int timesteps) {
    double[] betas = new double[timesteps];
    for (int t = 0; t < timesteps; t++) {
      betas[t] = Math.min(1 - f((t + 1.0) / timesteps) / f((double) t / timesteps), 0.999);
    }
    return NoiseSchedule.fromBetas(betas);
  }

  private static double f(double u) {
    double c = Math.cos((u + 0.008) / 1.008 * Math.PI / 2);
    return c * c;
  }

  /** Stable Diffusion's scaled-linear betas: square roots linear from sqrt(8.5e-4) to sqrt(0.012). */
  public static NoiseSchedule scaledLinear(int timesteps) {
    double lo = Math.sqrt(8.5e-4);
    double hi = Math.sqrt(1.2e-2);
    double[] betas = new double[timesteps];
    for (int t = 0; t < timesteps; t++) {
      double r = lo + (hi - lo) * t / (timesteps - 1);
      betas[t] = r * r;
    }
    return NoiseSchedule.fromBetas(betas);
  }

  /** {@code schedule} rescaled so that its last timestep has SNR exactly 0 and its first is unchanged. */
  public static NoiseSchedule zeroTerminalSnr(NoiseSchedule schedule) {
    int n = schedule.timesteps();
    double first = Math.sqrt(schedule.alphabar(0));
    double last = Math.sqrt(schedule.alphabar(n - 1));
    double[] alphabar = new double[n];
    for (int t = 0; t < n - 1; t++) {
      double s = (Math.sqrt(schedule.alphabar(t)) - last) * first / (first - last);
      alphabar[t] = s * s;
    }
    alphabar[n - 1] = 0;
    return NoiseSchedule.fromAlphabar(alphabar);
  }

  /** linear, cosine and scaled-linear at T = 1000, by name. */
  public static Map<String, NoiseSchedule> standard() {
    Map<String, NoiseSchedule> m = new LinkedHashMap<>();
    m.put("linear", linear(TIMESTEPS));
    m.put("cosine", cosine(TIMESTEPS));
    m.put("scaled-linear", scaledLinear(TIMESTEPS));
    return m;
  }

  /** The standard schedules rescaled to zero terminal SNR, named {@code <id>+zeroTerminalSnr}. */
  public static Map<String, NoiseSchedule> zeroTerminalSnr() {
    Map<String, NoiseSchedule> m = new LinkedHashMap<>();
    standard().forEach((k, v) -> m.put(k + "+zeroTerminalSnr", zeroTerminalSnr(v)));
    return m;
  }
}
