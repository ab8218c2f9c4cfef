package dev.jdiffusion.testkit;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.schedule.Schedule;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.schedule.ScheduleProvider;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/** Plugins for the testkit's own tests: one correct, the others each breaking one rule of the contract. */
final class SamplePlugins {
  private SamplePlugins() {}

  /** Min-SNR with its closed eps form: satisfies the contract. */
  public static final class Good implements WeighterProvider<Good.Config> {
    public record Config(@Param(value = "gamma, > 0", defaultValue = "5") double gamma) implements WeighterConfig {}

    @Override public String id() { return "sample-good"; }
    @Override public String description() { return "min(SNR, gamma) on the x0-MSE"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return SnrWeighter.of(LossSpace.X0, l -> Math.min(Math.exp(l), c.gamma()),
          l -> Math.min(1, c.gamma() * Math.exp(-l)));
    }
  }

  /** Min-SNR converted by the default factor: NaN (0 * infinity) at zero SNR. */
  public static final class NanAtZeroSnr implements WeighterProvider<NanAtZeroSnr.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "sample-nan"; }
    @Override public String description() { return "min(SNR, 5) on the x0-MSE, no closed eps form"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return SnrWeighter.of(LossSpace.X0, l -> Math.min(Math.exp(l), 5));
    }
  }

  /** A weight that changes from call to call. */
  public static final class Stateful implements WeighterProvider<Stateful.Config> {
    public record Config() implements WeighterConfig {}

    private static int calls;

    @Override public String id() { return "sample-stateful"; }
    @Override public String description() { return "counts its calls"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return SnrWeighter.of(LossSpace.EPS, l -> 1 + (calls++ % 2));
    }
  }

  /** Declares x0 space but gives the x0 weight as its eps weight. */
  public static final class WrongSpace implements WeighterProvider<WrongSpace.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "sample-wrong-space"; }
    @Override public String description() { return "declares x0, converts as if eps"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return SnrWeighter.of(LossSpace.X0, l -> Math.min(Math.exp(l), 5), l -> Math.min(Math.exp(l), 5));
    }
  }

  /** Correct, but missing from META-INF/services; and its id is not kebab-case. */
  public static final class Unlisted implements WeighterProvider<Unlisted.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "Sample_Unlisted"; }
    @Override public String description() { return "not in META-INF/services"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return SnrWeighter.of(LossSpace.EPS, l -> 1);
    }
  }

  /**
   * A ramp in log-SNR, {@code (20 - logSnr) / 40} on the eps-MSE, from the schedule (not an SnrWeighter):
   * fine on real schedules (log-SNR below about 10), negative beyond log-SNR 20.
   */
  public static final class NegativeAtHighSnr implements WeighterProvider<NegativeAtHighSnr.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "sample-negative-at-high-snr"; }
    @Override public String description() { return "(20 - logSNR) / 40 on the eps-MSE, unclamped"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return new Weighter() {
        @Override public LossSpace space() { return LossSpace.EPS; }
        @Override public double weight(NoiseSchedule schedule, int t) { return (20 - schedule.logSnr(t)) / 40; }
      };
    }
  }

  /** Betas of the wrong length. */
  public static final class ShortSchedule implements ScheduleProvider<ShortSchedule.Config> {
    public record Config() implements ScheduleConfig {}

    @Override public String id() { return "sample-short"; }
    @Override public String description() { return "one beta too few"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Schedule create(Config c) {
      return n -> ReferenceSchedules.linear(n).betas().length == n ? java.util.Arrays.copyOf(
          ReferenceSchedules.linear(n).betas(), n - 1) : new double[0];
    }
  }

  /** eps-prediction with a sign error in the x0 estimate. */
  public static final class SignError implements ParameterizationProvider<SignError.Config> {
    public record Config() implements ParameterizationConfig {}

    @Override public String id() { return "sample-sign-error"; }
    @Override public String description() { return "eps-prediction, x0 estimate with a sign error"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Parameterization create(Config c) {
      return (s, t) -> {
        Coefficients ok = ReferenceParameterizations.of(LossSpace.EPS).coefficients(s, t);
        return new Coefficients(ok.targetX0(), ok.targetEps(), ok.x0FromXt(), -ok.x0FromOutput(),
            ok.epsFromXt(), ok.epsFromOutput());
      };
    }
  }
}
