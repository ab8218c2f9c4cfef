package dev.jdiffusion.pipeline;

import com.google.inject.Injector;
import dev.jdiffusion.core.Bootstrap;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What every job needs besides its own options: the plugins (schedules, weighters, parameterizations,
 * datasets), the configuration reader that knows their parameter types, and the framework version written
 * into exported models. Build it once and share it; it is immutable and thread-safe.
 *
 * @param plugins the plugin registry
 * @param reader reads and converts configurations (YAML or JSON)
 * @param version the version recorded in exported ONNX files
 */
public record Environment(Plugins plugins, ConfigReader reader, String version) {
  public Environment {
    Objects.requireNonNull(plugins, "plugins");
    Objects.requireNonNull(reader, "reader");
    Objects.requireNonNull(version, "version");
  }

  /** The plugins on the class path: the built-in ones and any third-party jar beside them. */
  public static Environment load() {
    return load(null);
  }

  /**
   * The plugins on the class path and in the jars of {@code pluginDirectory} (may be null), as
   * {@code ./diffusion --plugins DIR} loads them.
   */
  public static Environment load(Path pluginDirectory) {
    return of(Bootstrap.createInjector(Environment.class.getClassLoader(), pluginDirectory), frameworkVersion());
  }

  /** The environment of an injector built by {@link Bootstrap}. */
  public static Environment of(Injector injector, String version) {
    return new Environment(injector.getInstance(Plugins.class), injector.getInstance(ConfigReader.class), version);
  }

  /** This library's version from its jar manifest, or {@code dev} when it runs from classes. */
  public static String frameworkVersion() {
    String v = Environment.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
