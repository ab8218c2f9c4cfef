package dev.jdiffusion.plugins.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.inject.Injector;
import dev.jdiffusion.core.Bootstrap;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetSource;
import java.io.IOException;

/** Opens datasets the way a user does: a configuration read by the core, a plugin found by ServiceLoader. */
final class Datasets {
  static final Injector INJECTOR = Bootstrap.createInjector(Datasets.class.getClassLoader(), null);
  static final Plugins PLUGINS = INJECTOR.getInstance(Plugins.class);
  static final ConfigReader READER = INJECTOR.getInstance(ConfigReader.class);

  private Datasets() {}

  /** A config from YAML, e.g. {@code {name: synthetic, count: 10}}. */
  static DatasetConfig config(String yaml) {
    return READER.readYaml("test", yaml, DatasetConfig.class);
  }

  static DatasetConfig config(JsonNode node) {
    return READER.convert("test", node, DatasetConfig.class);
  }

  static DatasetSource open(String yaml) throws IOException {
    return PLUGINS.openDataset(config(yaml));
  }

  /** Every pixel of a source, image after image. */
  static float[] pixels(DatasetSource source) {
    int stride = source.shape().size();
    float[] all = new float[source.size() * stride];
    for (int i = 0; i < source.size(); i++) {
      source.read(i, all, i * stride);
    }
    return all;
  }
}
