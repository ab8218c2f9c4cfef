package dev.jdiffusion.core;

import dev.jdiffusion.spi.PluginConfig;
import dev.jdiffusion.spi.PluginProvider;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.schedule.ScheduleProvider;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;

/** The four plugin kinds, with their discovery type and config base type. */
public enum PluginKind {
  SCHEDULE("schedule", ScheduleProvider.class, ScheduleConfig.class),
  WEIGHTER("weighter", WeighterProvider.class, WeighterConfig.class),
  PARAMETERIZATION("parameterization", ParameterizationProvider.class, ParameterizationConfig.class),
  DATASET("dataset", DatasetProvider.class, DatasetConfig.class);

  private final String label;
  @SuppressWarnings("rawtypes")
  private final Class<? extends PluginProvider> providerType;
  private final Class<? extends PluginConfig> configType;

  @SuppressWarnings("rawtypes")
  PluginKind(
      String label,
      Class<? extends PluginProvider> providerType,
      Class<? extends PluginConfig> configType) {
    this.label = label;
    this.providerType = providerType;
    this.configType = configType;
  }

  /** Lower-case name used in messages and configurations: {@code weighter}. */
  public String label() {
    return label;
  }

  /** The interface listed in {@code META-INF/services}. */
  @SuppressWarnings("rawtypes")
  public Class<? extends PluginProvider> providerType() {
    return providerType;
  }

  /** The base type that configurations of this kind are read as. */
  public Class<? extends PluginConfig> configType() {
    return configType;
  }

  /** The kind whose config base type {@code type} implements, if any. */
  public static PluginKind ofConfigType(Class<?> type) {
    for (PluginKind kind : values()) {
      if (kind.configType.isAssignableFrom(type)) {
        return kind;
      }
    }
    return null;
  }
}
