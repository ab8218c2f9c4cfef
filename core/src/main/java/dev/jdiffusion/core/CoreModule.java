package dev.jdiffusion.core;

import com.google.inject.AbstractModule;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.MapBinder;
import dev.jdiffusion.spi.PluginProvider;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;
import dev.jdiffusion.spi.schedule.ScheduleProvider;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/** Binds the registry and one {@code Map<String, XxxProvider<?>>} per plugin kind, keyed by id. */
final class CoreModule extends AbstractModule {
  private final PluginRegistry registry;

  CoreModule(PluginRegistry registry) {
    this.registry = registry;
  }

  @Override
  protected void configure() {
    bind(PluginRegistry.class).toInstance(registry);
    bindKind(PluginKind.SCHEDULE, new TypeLiteral<ScheduleProvider<?>>() {});
    bindKind(PluginKind.WEIGHTER, new TypeLiteral<WeighterProvider<?>>() {});
    bindKind(PluginKind.PARAMETERIZATION, new TypeLiteral<ParameterizationProvider<?>>() {});
    bindKind(PluginKind.DATASET, new TypeLiteral<DatasetProvider<?>>() {});
  }

  private <P extends PluginProvider<?>> void bindKind(PluginKind kind, TypeLiteral<P> type) {
    MapBinder<String, P> map = MapBinder.newMapBinder(binder(), TypeLiteral.get(String.class), type);
    for (PluginEntry e : registry.list(kind)) {
      @SuppressWarnings("unchecked")
      P provider = (P) e.provider();
      map.addBinding(e.id()).toInstance(provider);
    }
  }
}
