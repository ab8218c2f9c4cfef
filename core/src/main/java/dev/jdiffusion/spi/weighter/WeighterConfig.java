package dev.jdiffusion.spi.weighter;

import dev.jdiffusion.spi.PluginConfig;
import org.apiguardian.api.API;

/**
 * Marker of a weighter's parameter record. The generic options {@code space} (override the declared
 * space) and {@code normalize} (mean 1 over timesteps) are not part of it: core owns them.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface WeighterConfig extends PluginConfig {}
