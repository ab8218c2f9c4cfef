package dev.jdiffusion.spi.dataset;

import dev.jdiffusion.spi.PluginConfig;
import org.apiguardian.api.API;

/** Marker of a dataset's parameter record. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface DatasetConfig extends PluginConfig {}
