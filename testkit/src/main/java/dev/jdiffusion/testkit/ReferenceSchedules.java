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

  /**
   * {@code schedule} rescaled so that its last timestep has SNR exactly 0 and its first is unchanged, by the
   * steps of Lin et al.'s Algorithm 1 on the betas: {@code alphabar} as the running product of
   * {@code 1 - beta}, its square root shifted and scaled, squared, turned back into
   * {@code alpha_t = alphabar_t / alphabar_(t-1)} (the first being {@code alphabar_0}) and betas.
   */
  public static NoiseSchedule zeroTerminalSnr(NoiseSchedule schedule) {
    double[] betas = schedule.betas();
    int n = betas.length;
    double[] root = new double[n];
    double product = 1;
    for (int t = 0; t < n; t++) {
      product *= 1 - betas[t];
      root[t] = Math.sqrt(product);
    }
    double first = root[0];
    double last = root[n - 1];
    double[] rescaled = new double[n];
    for (int t = 0; t < n; t++) {
      double shifted = root[t] - last;
      double scaled = shifted * (first / (first - last));
      rescaled[t] = scaled * scaled;
    }
    double[] newBetas = new double[n];
    newBetas[0] = 1 - rescaled[0];
    for (int t = 1; t < n; t++) {
      newBetas[t] = 1 - rescaled[t] / rescaled[t - 1];
    }
    return NoiseSchedule.fromBetas(newBetas);
  }

  /**
   * The schedule whose log-SNR at timestep {@code t} is {@code logSnr[t]} (strictly decreasing; only the last
   * may be {@code -infinity}, zero SNR): {@code alphabar = sigmoid(logSnr)}, with each beta computed in a
   * form that keeps its digits at both ends, {@code beta_t = -expm1(logSnr_t - logSnr_(t-1)) sigmoid(-logSnr_t)}.
   * For testing weighters beyond the range of real schedules.
   */
  public static NoiseSchedule fromLogSnr(double... logSnr) {
    double[] betas = new double[logSnr.length];
    for (int t = 0; t < logSnr.length; t++) {
      double l = logSnr[t];
      if (Double.isNaN(l) || l == Double.POSITIVE_INFINITY || (t > 0 && !(l < logSnr[t - 1]))
          || (l == Double.NEGATIVE_INFINITY && t != logSnr.length - 1)) {
        throw new IllegalArgumentException("logSnr[" + t + "] = " + l + " is not allowed: log-SNR must decrease"
            + " strictly, and only the last value may be -infinity");
      }
      double noise = sigmoid(-l);
      betas[t] = t == 0 ? noise : -Math.expm1(l - logSnr[t - 1]) * noise;
    }
    return NoiseSchedule.fromBetas(betas);
  }

  private static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
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
