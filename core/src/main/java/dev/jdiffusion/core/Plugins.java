package dev.jdiffusion.core;

import dev.jdiffusion.spi.PluginConfig;
import dev.jdiffusion.spi.PluginProvider;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.schedule.Schedule;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.schedule.ScheduleProvider;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.Map;

/**
 * Turns typed configurations into live plugin objects, through the providers Guice holds (one map per
 * kind, keyed by id). Nothing here knows a plugin by name.
 */
@Singleton
public final class Plugins {
  private final PluginRegistry registry;
  private final Map<String, ScheduleProvider<?>> schedules;
  private final Map<String, WeighterProvider<?>> weighters;
  private final Map<String, ParameterizationProvider<?>> parameterizations;
  private final Map<String, DatasetProvider<?>> datasets;

  @Inject
  public Plugins(
      PluginRegistry registry,
      Map<String, ScheduleProvider<?>> schedules,
      Map<String, WeighterProvider<?>> weighters,
      Map<String, ParameterizationProvider<?>> parameterizations,
      Map<String, DatasetProvider<?>> datasets) {
    this.registry = registry;
    this.schedules = schedules;
    this.weighters = weighters;
    this.parameterizations = parameterizations;
    this.datasets = datasets;
  }

  public PluginRegistry registry() {
    return registry;
  }

  /** The id of the plugin a config belongs to. */
  public String idOf(PluginConfig config) {
    return registry.forConfig(config).id();
  }

  /**
   * The schedule table of a spec, with the zero-terminal-SNR rescale applied when asked for.
   *
   * @throws PluginException when the plugin's betas are not a valid schedule
   */
  public NoiseSchedule schedule(ScheduleSpec spec) {
    String id = idOf(spec.config());
    ScheduleProvider<?> provider = lookup(schedules, id);
    double[] betas = create(provider, spec.config()).betas(spec.timesteps());
    if (betas.length != spec.timesteps()) {
      throw new PluginException(
          "schedule '" + id + "' returned " + betas.length + " betas for timesteps = " + spec.timesteps());
    }
    NoiseSchedule table;
    try {
      table = NoiseSchedule.fromBetas(betas);
    } catch (IllegalArgumentException e) {
      throw new PluginException("schedule '" + id + "': " + e.getMessage(), e);
    }
    if (!spec.zeroTerminalSnr()) {
      return table;
    }
    try {
      return ZeroTerminalSnr.rescale(table);
    } catch (IllegalArgumentException e) {
      throw new PluginException("schedule '" + id + "' cannot be rescaled to zero terminal SNR (zeroTerminalSnr:"
          + " true): its alphabar reaches 0 in double precision before the last timestep (" + e.getMessage() + ")",
          e);
    }
  }

  public Weighter weighter(WeighterConfig config) {
    return create(lookup(weighters, idOf(config)), config);
  }

  public Parameterization parameterization(ParameterizationConfig config) {
    return create(lookup(parameterizations, idOf(config)), config);
  }

  public DatasetSource openDataset(DatasetConfig config) throws IOException {
    DatasetProvider<?> provider = lookup(datasets, idOf(config));
    return open(provider, config);
  }

  /** The weight tables of a weighter on a schedule for a parameterization. */
  public LossWeights lossWeights(
      String label, NoiseSchedule schedule, WeighterSpec weighter, ParameterizationConfig parameterization) {
    return LossWeights.compute(
        label,
        schedule,
        weighter(weighter.config()),
        weighter.space(),
        weighter.normalize(),
        parameterization(parameterization));
  }

  /** The weight tables of a run configuration. */
  public LossWeights lossWeights(RunConfig run) {
    return lossWeights(
        idOf(run.weighter().config()), schedule(run.schedule()), run.weighter(), run.parameterization());
  }

  private <P extends PluginProvider<?>> P lookup(Map<String, P> map, String id) {
    P p = map.get(id);
    if (p == null) {
      throw new PluginException("plugin '" + id + "' is registered but not bound; was it loaded by another registry?");
    }
    return p;
  }

  @SuppressWarnings("unchecked")
  private static Schedule create(ScheduleProvider<?> p, PluginConfig c) {
    ScheduleProvider<ScheduleConfig> typed = (ScheduleProvider<ScheduleConfig>) p;
    return typed.create(typed.configType().cast(c));
  }

  @SuppressWarnings("unchecked")
  private static Weighter create(WeighterProvider<?> p, PluginConfig c) {
    WeighterProvider<WeighterConfig> typed = (WeighterProvider<WeighterConfig>) p;
    return typed.create(typed.configType().cast(c));
  }

  @SuppressWarnings("unchecked")
  private static Parameterization create(ParameterizationProvider<?> p, PluginConfig c) {
    ParameterizationProvider<ParameterizationConfig> typed = (ParameterizationProvider<ParameterizationConfig>) p;
    return typed.create(typed.configType().cast(c));
  }

  @SuppressWarnings("unchecked")
  private static DatasetSource open(DatasetProvider<?> p, PluginConfig c) throws IOException {
    DatasetProvider<DatasetConfig> typed = (DatasetProvider<DatasetConfig>) p;
    return typed.open(typed.configType().cast(c));
  }
}
