package dev.jdiffusion.spi.parameterization;

import dev.jdiffusion.spi.PluginProvider;
import org.apiguardian.api.API;

/**
 * Discovery type of parameterization plugins. The id names the network's output (an exported ONNX
 * model's output is called after it, e.g. {@code eps}).
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface ParameterizationProvider<C extends ParameterizationConfig> extends PluginProvider<C> {

  Parameterization create(C config);
}
