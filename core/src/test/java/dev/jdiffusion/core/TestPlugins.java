package dev.jdiffusion.core;

import com.google.inject.Injector;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;
import dev.jdiffusion.spi.schedule.Schedule;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.schedule.ScheduleProvider;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Plugins of every kind that exist only for core's own tests (core cannot see the built-ins), each written
 * from the formulas in DESIGN.md, and an injector over exactly them.
 */
final class TestPlugins {
  private TestPlugins() {}

  /** DDPM linear betas, {@code linspace(betaStart, betaEnd, T)}. */
  public static final class Linear implements ScheduleProvider<Linear.Config> {
    public record Config(
        @Param(value = "first beta, in (0, 1)", defaultValue = "0.0001") double betaStart,
        @Param(value = "last beta, in (0, 1]", defaultValue = "0.02") double betaEnd)
        implements ScheduleConfig {
      public Config {
        Require.openInterval("betaStart", betaStart, 0, 1);
        Require.halfOpenInterval("betaEnd", betaEnd, 0, 1);
      }
    }

    @Override public String id() { return "test-linear"; }
    @Override public String description() { return "linear betas"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Schedule create(Config c) {
      return n -> {
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
          b[i] = c.betaStart() + (c.betaEnd() - c.betaStart()) * i / (n - 1);
        }
        return b;
      };
    }
  }

  /** Returns one beta too few. */
  public static final class Short implements ScheduleProvider<Short.Config> {
    public record Config() implements ScheduleConfig {}

    @Override public String id() { return "test-short"; }
    @Override public String description() { return "one beta too few"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Schedule create(Config c) {
      return n -> {
        double[] b = new double[n - 1];
        Arrays.fill(b, 0.01);
        return b;
      };
    }
  }

  /** Betas of exactly 1 from the middle on: alphabar is 0 before the last step. */
  public static final class Collapsing implements ScheduleProvider<Collapsing.Config> {
    public record Config() implements ScheduleConfig {}

    @Override public String id() { return "test-collapsing"; }
    @Override public String description() { return "betas of 1 from the middle on"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Schedule create(Config c) {
      return n -> {
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
          b[i] = i < n / 2 ? 0.1 : 1;
        }
        return b;
      };
    }
  }

  /** A beta of 0: not a schedule. */
  public static final class ZeroBeta implements ScheduleProvider<ZeroBeta.Config> {
    public record Config() implements ScheduleConfig {}

    @Override public String id() { return "test-zero-beta"; }
    @Override public String description() { return "a beta of 0"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Schedule create(Config c) {
      return n -> new double[n];
    }
  }

  /** eps-prediction: target eps, {@code x0 = (x_t - sigma out) / sqrt(alphabar)}, {@code eps = out}. */
  public static final class Eps implements ParameterizationProvider<Eps.Config> {
    public record Config() implements ParameterizationConfig {}

    @Override public String id() { return "test-eps"; }
    @Override public String description() { return "predicts eps"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Parameterization create(Config c) {
      return (s, t) -> {
        double root = Math.sqrt(s.alphabar(t));
        double sigma = Math.sqrt(s.sigma2(t));
        return new Coefficients(0, 1, 1 / root, -sigma / root, 0, 1);
      };
    }
  }

  /** x0-prediction: target x0, {@code x0 = out}, {@code eps = (x_t - sqrt(alphabar) out) / sigma}. */
  public static final class X0 implements ParameterizationProvider<X0.Config> {
    public record Config() implements ParameterizationConfig {}

    @Override public String id() { return "test-x0"; }
    @Override public String description() { return "predicts x0"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Parameterization create(Config c) {
      return (s, t) -> {
        double root = Math.sqrt(s.alphabar(t));
        double sigma = Math.sqrt(s.sigma2(t));
        return new Coefficients(1, 0, 0, 1, 1 / sigma, -root / sigma);
      };
    }
  }

  /** min(SNR, gamma) on the x0-MSE, with its closed eps form; gamma required and > 0. */
  public static final class MinSnr implements WeighterProvider<MinSnr.Config> {
    public record Config(@Param("clamp gamma, > 0 (required)") double gamma) implements WeighterConfig {
      public Config {
        Require.positive("gamma", gamma);
      }
    }

    @Override public String id() { return "test-min-snr"; }
    @Override public String description() { return "min(SNR, gamma) on the x0-MSE"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return SnrWeighter.of(LossSpace.X0, l -> Math.min(Math.exp(l), c.gamma()),
          l -> Math.min(1, c.gamma() * Math.exp(-l)));
    }
  }

  /** Weight 1 - logSNR on the eps-MSE: negative where log-SNR exceeds 1. */
  public static final class Negative implements WeighterProvider<Negative.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "test-negative"; }
    @Override public String description() { return "1 - logSNR"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return SnrWeighter.of(LossSpace.EPS, l -> 1 - l);
    }
  }

  /** Weight 0 everywhere. */
  public static final class Zero implements WeighterProvider<Zero.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "test-zero"; }
    @Override public String description() { return "0"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) {
      return SnrWeighter.of(LossSpace.EPS, l -> 0);
    }
  }

  /** How the synthetic dataset fills its images. */
  public enum Fill { ZEROS, ONES }

  /** Parameters of every type a config may have; the images are filled with 0 or 1. */
  public static final class Data implements DatasetProvider<Data.Config> {
    public record Config(
        @Param(value = "number of images", defaultValue = "4") int count,
        @Param(value = "flip horizontally", defaultValue = "false") boolean flip,
        @Param(value = "fill", defaultValue = "ZEROS") Fill fill,
        @Param(value = "a label") String label,
        @Param(value = "seed", defaultValue = "7") long seed)
        implements DatasetConfig {
      public Config {
        Require.atLeast("count", count, 1);
      }
    }

    @Override public String id() { return "test-data"; }
    @Override public String description() { return "constant images"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public DatasetSource open(Config c) {
      return new DatasetSource() {
        @Override public ImageShape shape() { return new ImageShape(1, 2, 2); }
        @Override public int size() { return c.count(); }
        @Override public void read(int index, float[] dest, int offset) {
          Arrays.fill(dest, offset, offset + 4, c.fill() == Fill.ONES ? 1 : 0);
        }
      };
    }
  }

  /** Every provider above, by service interface. */
  static final Map<Class<?>, List<Class<?>>> ALL = Map.of(
      ScheduleProvider.class, List.of(Linear.class, Short.class, Collapsing.class, ZeroBeta.class),
      ParameterizationProvider.class, List.of(Eps.class, X0.class),
      WeighterProvider.class, List.of(MinSnr.class, Negative.class, Zero.class, TestWeighters.A.class),
      DatasetProvider.class, List.of(Data.class));

  /** A class loader whose services files list exactly {@code providers}, keyed by service interface. */
  static ClassLoader loader(Path dir, Map<Class<?>, List<Class<?>>> providers) {
    try {
      Path services = dir.resolve("META-INF/services");
      Files.createDirectories(services);
      for (Map.Entry<Class<?>, List<Class<?>>> e : providers.entrySet()) {
        StringBuilder sb = new StringBuilder();
        for (Class<?> p : e.getValue()) {
          sb.append(p.getName()).append('\n');
        }
        Files.writeString(services.resolve(e.getKey().getName()), sb.toString());
      }
      return new URLClassLoader(new URL[] {dir.toUri().toURL()}, TestPlugins.class.getClassLoader());
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Injector injector;

  /** One injector over {@link #ALL}, shared by the tests. */
  static synchronized Injector injector() {
    if (injector == null) {
      try {
        Path dir = Files.createTempDirectory("jdiffusion-test-plugins");
        ClassLoader loader = loader(dir, ALL);
        try (var files = Files.walk(dir)) {
          files.forEach(f -> f.toFile().deleteOnExit()); // parents first, so they are deleted last
        }
        injector = Bootstrap.createInjector(loader, null);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return injector;
  }

  static ConfigReader reader() {
    return injector().getInstance(ConfigReader.class);
  }

  static Plugins plugins() {
    return injector().getInstance(Plugins.class);
  }
}
