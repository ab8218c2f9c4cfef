package dev.jdiffusion.spi.schedule;

import dev.jdiffusion.spi.PluginProvider;
import org.apiguardian.api.API;

/** Discovery type of schedule plugins; list implementations in {@code META-INF/services}. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface ScheduleProvider<C extends ScheduleConfig> extends PluginProvider<C> {

  /** The schedule for a validated config. Keep no state between calls. */
  Schedule create(C config);
}
