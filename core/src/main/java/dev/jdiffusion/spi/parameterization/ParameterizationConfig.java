package dev.jdiffusion.spi.parameterization;

import dev.jdiffusion.spi.PluginConfig;
import org.apiguardian.api.API;

/** Marker of a parameterization's parameter record (often empty). */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface ParameterizationConfig extends PluginConfig {}
