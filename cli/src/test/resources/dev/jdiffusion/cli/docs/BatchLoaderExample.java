package docs;

import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.data.Batch;
import dev.jdiffusion.core.data.BatchLoader;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.trainer.TrainConfig;
import java.io.IOException;
import java.util.Iterator;

/** The complete form of the batch-pipeline fragment in docs/datasets.md; DocsTest compiles it. */
final class BatchLoaderExample {
  private BatchLoaderExample() {}

  static void firstBatch(Plugins plugins, TrainConfig config, long runSeed, long firstStep) throws IOException {
    try (DatasetSource data = plugins.openDataset(config.dataset().orElseThrow())) {
      BatchLoader loader = BatchLoader.builder(data).setBatchSize(64).optSeed(runSeed).build();
      Iterator<Batch> batches = loader.batches(firstStep);        // endless, epoch after epoch
      Batch b = batches.next();   // b.pixels(): float[b.size() * C * H * W], b.labels(), b.nchw()
    }
  }
}
