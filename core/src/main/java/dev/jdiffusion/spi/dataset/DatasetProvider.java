package dev.jdiffusion.spi.dataset;

import dev.jdiffusion.spi.PluginProvider;
import java.io.IOException;
import org.apiguardian.api.API;

/** Discovery type of dataset plugins; list implementations in {@code META-INF/services}. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface DatasetProvider<C extends DatasetConfig> extends PluginProvider<C> {

  /**
   * Opens the dataset. Corrupt or missing input throws an exception that names the file and says what
   * was expected and what was found; never a silently shorter dataset.
   */
  DatasetSource open(C config) throws IOException;
}
