package dev.jdiffusion.core;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import java.util.Objects;
import java.util.Optional;

/**
 * The plugins of one run, as read from JSON or YAML:
 *
 * <pre>
 * schedule: {name: cosine, timesteps: 1000}
 * parameterization: {name: eps}
 * weighter: {name: smoothed-kl, lambda: 0.2}
 * dataset: {name: fashion-mnist}        # optional
 * </pre>
 */
public record RunConfig(
    @JsonProperty(required = true) ScheduleSpec schedule,
    @JsonProperty(required = true) ParameterizationConfig parameterization,
    @JsonProperty(required = true) WeighterSpec weighter,
    Optional<DatasetConfig> dataset) {

  public RunConfig {
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(parameterization, "parameterization");
    Objects.requireNonNull(weighter, "weighter");
    dataset = dataset == null ? Optional.empty() : dataset;
  }
}
