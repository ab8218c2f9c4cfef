package dev.jdiffusion.spi.weighter;

import dev.jdiffusion.spi.PluginProvider;
import org.apiguardian.api.API;

/** Discovery type of weighter plugins; list implementations in {@code META-INF/services}. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface WeighterProvider<C extends WeighterConfig> extends PluginProvider<C> {

  /** The weighter for a validated config. Keep no state between calls. */
  Weighter create(C config);
}
