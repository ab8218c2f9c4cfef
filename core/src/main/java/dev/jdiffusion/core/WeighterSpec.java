package dev.jdiffusion.core;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import java.util.Objects;
import java.util.Optional;

/**
 * A weighter as a configuration names it: {@code {name: min-snr, gamma: 5}}, plus two options that every
 * weighter has: {@code space} overrides the space its formula applies to (e.g. {@code space: eps} applies
 * {@code min(SNR, gamma)} to the eps-MSE, as some codebases do) and {@code normalize: true} scales the
 * weight to mean 1 in eps space under the uniform timestep distribution.
 *
 * @param config the plugin's typed parameters
 * @param space the overriding space, empty for the weighter's declared one
 * @param normalize whether to scale the eps-space weight to mean 1 over the timesteps
 */
public record WeighterSpec(WeighterConfig config, Optional<LossSpace> space, boolean normalize) {
  public WeighterSpec {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(space, "space");
  }

  public static WeighterSpec of(WeighterConfig config) {
    return new WeighterSpec(config, Optional.empty(), false);
  }
}
