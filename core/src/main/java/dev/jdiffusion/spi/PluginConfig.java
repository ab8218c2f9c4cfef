package dev.jdiffusion.spi;

import org.apiguardian.api.API;

/**
 * Marker of a plugin's parameter record. Each plugin kind has its own sub-interface
 * ({@code WeighterConfig}, {@code ScheduleConfig}, ...), which is the base type configurations are read as.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface PluginConfig {}
