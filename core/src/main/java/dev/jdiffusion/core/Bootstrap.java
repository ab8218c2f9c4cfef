package dev.jdiffusion.core;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.Stage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** The one place that runs plugin discovery and builds the Guice injector. */
public final class Bootstrap {
  private Bootstrap() {}

  /**
   * Discovers plugins on {@code loader}'s class path and in {@code pluginDirectory} (may be null), then
   * builds an injector with the core bindings, every {@link PluginModule} found, and {@code appModules}.
   */
  public static Injector createInjector(ClassLoader loader, Path pluginDirectory, Module... appModules) {
    return createInjector(PluginRegistry.load(loader, pluginDirectory), appModules);
  }

  /** Builds the injector over an already loaded registry. */
  public static Injector createInjector(PluginRegistry registry, Module... appModules) {
    List<Module> modules = new ArrayList<>(List.of(appModules));
    modules.add(new CoreModule(registry));
    ServiceLoader.load(PluginModule.class, registry.classLoader()).stream()
        .map(ServiceLoader.Provider::get)
        .sorted(Comparator.comparing(m -> m.getClass().getName()))
        .forEach(modules::add);
    return Guice.createInjector(Stage.PRODUCTION, modules);
  }
}
