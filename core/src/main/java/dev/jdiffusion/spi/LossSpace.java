package dev.jdiffusion.spi;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apiguardian.api.API;

/**
 * The prediction space a loss weight applies to. Per sample, the three mean squared errors are tied
 * exactly: {@code MSE_x0 = MSE_eps / SNR} and {@code MSE_v = (1 + 1/SNR) MSE_eps}. A weight {@code w_s}
 * on {@code MSE_s} is therefore the same objective as the eps-space weight
 * {@code w_eps = w_s * toEpsFactor(logSnr)}.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public enum LossSpace {
  /** The noise, {@code eps}. The canonical space of this framework. */
  EPS,
  /** The clean sample, {@code x0}: {@code w_eps = w_x0 / SNR}. */
  X0,
  /** Velocity {@code v = sqrt(alphabar) eps - sqrt(1 - alphabar) x0}: {@code w_eps = w_v (1 + SNR) / SNR}. */
  V;

  /** The lower-case id used in configurations: {@code eps}, {@code x0}, {@code v}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The factor that turns a weight on this space's MSE into the equivalent weight on the eps-MSE, from
   * log-SNR: 1, {@code exp(-logSnr)} or {@code 1 + exp(-logSnr)}. Infinite at {@code logSnr = -inf} for
   * x0 and v: a weight there must be zero or given in closed form (see {@code Weighter.epsWeight}).
   */
  public double toEpsFactor(double logSnr) {
    return switch (this) {
      case EPS -> 1.0;
      case X0 -> Math.exp(-logSnr);
      case V -> 1.0 + Math.exp(-logSnr);
    };
  }

  /** Reads {@code eps}, {@code x0} or {@code v} (any case). */
  public static LossSpace parse(String id) {
    for (LossSpace s : values()) {
      if (s.id().equalsIgnoreCase(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown loss space '" + id + "': expected one of "
            + Arrays.stream(values()).map(LossSpace::id).collect(Collectors.joining(", ")));
  }
}
