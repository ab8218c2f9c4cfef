package dev.jdiffusion.core;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.Param;
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
import java.util.List;

/** Weighter plugins that exist only for registry tests, and a loader that lists exactly the ones asked for. */
final class TestWeighters {
  private TestWeighters() {}

  /** id "test-a" */
  public static final class A implements WeighterProvider<A.Config> {
    public record Config(@Param(value = "a number", defaultValue = "1") double a) implements WeighterConfig {}

    @Override public String id() { return "test-a"; }
    @Override public String description() { return "first test weighter"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) { return SnrWeighter.of(LossSpace.EPS, l -> c.a()); }
  }

  /** Also claims the id "test-a". */
  public static final class SameIdAsA implements WeighterProvider<SameIdAsA.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "test-a"; }
    @Override public String description() { return "clashing test weighter"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) { return SnrWeighter.of(LossSpace.EPS, l -> 1); }
  }

  /** An id that is not kebab-case. */
  public static final class BadId implements WeighterProvider<BadId.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "Bad_Id"; }
    @Override public String description() { return "badly named"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) { return SnrWeighter.of(LossSpace.EPS, l -> 1); }
  }

  /** An x0-space weighter without a closed eps form: NaN at zero SNR. */
  public static final class NoClosedForm implements WeighterProvider<NoClosedForm.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "test-no-closed-form"; }
    @Override public String description() { return "min(SNR, 5) in x0 space, default conversion"; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) { return SnrWeighter.of(LossSpace.X0, l -> Math.min(Math.exp(l), 5)); }
  }

  /** A class loader whose services file for weighters lists exactly {@code providers}. */
  static ClassLoader loaderListing(Path dir, List<Class<?>> providers) {
    try {
      Path services = dir.resolve("META-INF/services");
      Files.createDirectories(services);
      StringBuilder sb = new StringBuilder();
      for (Class<?> p : providers) {
        sb.append(p.getName()).append('\n');
      }
      Files.writeString(services.resolve(WeighterProvider.class.getName()), sb.toString());
      URL url = dir.toUri().toURL();
      return new URLClassLoader(new URL[] {url}, TestWeighters.class.getClassLoader());
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
