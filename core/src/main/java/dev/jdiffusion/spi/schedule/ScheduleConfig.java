package dev.jdiffusion.spi.schedule;

import dev.jdiffusion.spi.PluginConfig;
import org.apiguardian.api.API;

/** Marker of a schedule's parameter record. The number of timesteps is not part of it: core owns {@code timesteps}. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface ScheduleConfig extends PluginConfig {}
