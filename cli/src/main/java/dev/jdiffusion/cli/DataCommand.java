package dev.jdiffusion.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.data.Batch;
import dev.jdiffusion.core.data.BatchLoader;
import dev.jdiffusion.core.data.PixelStatistics;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion data}: opens a dataset as training would, prints its size, image shape, labels and
 * pixel statistics, writes a PNG grid of sample images, and optionally measures the batch pipeline.
 */
@Command(
    name = "data",
    description = {
      "Open a dataset, print its size, shape, labels and pixel statistics (after scaling to [-1, 1]),"
          + " and write a PNG grid of sample images (samples.png) to --out.",
      "With --benchmark N, also time N epochs of the batch pipeline alone (images/s)."
    },
    sortOptions = false)
final class DataCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--dataset", paramLabel = "SPEC",
      description = "A dataset, e.g. fashion-mnist or fashion-mnist:split=test,padding=2 or synthetic:count=256.")
  String dataset;

  @Option(names = "--config", paramLabel = "FILE",
      description = "A YAML/JSON file: a run configuration with a dataset: entry, or a dataset config alone.")
  Path config;

  @Option(names = "--dir", paramLabel = "DIR", description = "Point the dataset at a directory of its files (sets its dir option).")
  Path dir;

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("out", "data");

  @Option(names = "--samples", paramLabel = "N", description = "Images in the grid (default: ${DEFAULT-VALUE}).")
  int samples = 64;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the sample draw and the benchmark's shuffles (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--benchmark", paramLabel = "EPOCHS",
      description = "Time this many epochs of the batch pipeline (after one warm-up epoch); 0 = no timing.")
  int benchmarkEpochs = 0;

  @Option(names = "--batch-size", paramLabel = "B", description = "Batch size of the benchmark (default: ${DEFAULT-VALUE}).")
  int batchSize = 64;

  @Override
  public Integer call() throws IOException {
    Writable.requireDirectory("--out", out);
    Plugins plugins = main.injector().getInstance(Plugins.class);
    ConfigReader reader = main.injector().getInstance(ConfigReader.class);
    DatasetConfig datasetConfig = datasetConfig(reader);
    String id = plugins.idOf(datasetConfig);
    PrintWriter o = spec.commandLine().getOut();
    long opening = System.nanoTime();
    try (DatasetSource source = open(plugins, datasetConfig, id)) {
      double openSeconds = (System.nanoTime() - opening) / 1e9;
      ImageShape shape = source.shape();
      o.printf("dataset %s: %s%n", id, reader.json().writeValueAsString(datasetConfig));
      o.printf(Locale.ROOT, "opened  in %.2f s%n", openSeconds);
      o.printf("size    %d images%n", source.size());
      o.printf("shape   %s (channels x height x width)%n", shape);
      TreeMap<Integer, Integer> labels = new TreeMap<>();
      for (int i = 0; i < source.size(); i++) {
        labels.merge(source.label(i), 1, Integer::sum);
      }
      o.printf("labels  %s%n", labels.containsKey(-1) && labels.size() == 1 ? "none"
          : labels.size() + " classes, images per label " + labels);
      PixelStatistics stats = PixelStatistics.of(source);
      o.printf(Locale.ROOT, "pixels  min %.4f  max %.4f  mean %.4f  std %.4f  (scaled to [-1, 1])%n",
          stats.min(), stats.max(), stats.mean(), stats.std());
      Files.createDirectories(out);
      Path png = out.resolve("samples.png");
      int n = Math.min(samples, source.size());
      writeGrid(png, source, n);
      o.printf("wrote %s (%d images)%n", png, n);
      if (benchmarkEpochs > 0) {
        benchmark(o, source);
      }
    }
    o.flush();
    return 0;
  }

  private DatasetConfig datasetConfig(ConfigReader reader) {
    if ((dataset == null) == (config == null)) {
      throw new UserException("give either --dataset SPEC (e.g. --dataset fashion-mnist) or --config FILE");
    }
    String source;
    JsonNode node;
    if (dataset != null) {
      source = "--dataset " + dataset;
      node = ConfigReader.parseOption(dataset);
    } else {
      source = config.toString();
      try {
        node = reader.yaml().readTree(Files.readString(config));
      } catch (NoSuchFileException e) {
        throw new UserException(config + ": no such file");
      } catch (JsonProcessingException e) {
        throw new UserException(config + ": not valid JSON/YAML: " + e.getOriginalMessage());
      } catch (IOException e) {
        throw new UserException(config + ": cannot read: " + e);
      }
      if (node != null && node.has("dataset")) {
        node = node.get("dataset");
      }
      if (node == null || !node.isObject()) {
        throw new UserException(config + ": expected a dataset config ({name: ...}) or a run config with a dataset: entry");
      }
    }
    if (dir != null) {
      ((ObjectNode) node).put("dir", dir.toString());
      source += " --dir " + dir;
    }
    return reader.convert(source, node, DatasetConfig.class);
  }

  private static DatasetSource open(Plugins plugins, DatasetConfig config, String id) {
    try {
      return plugins.openDataset(config);
    } catch (IOException | InvalidParameterException e) {
      throw new UserException("dataset '" + id + "': " + e.getMessage(), e);
    }
  }

  /** The first {@code n} images in a seeded random order, tiled in a square grid, enlarged to at least 64 px. */
  private void writeGrid(Path png, DatasetSource source, int n) throws IOException {
    ImageShape shape = source.shape();
    int columns = (int) Math.ceil(Math.sqrt(n));
    int rows = (n + columns - 1) / columns;
    int zoom = Math.max(1, 64 / Math.max(shape.height(), shape.width()));
    int gap = 2;
    int tileW = shape.width() * zoom;
    int tileH = shape.height() * zoom;
    BufferedImage grid = new BufferedImage(
        Math.max(1, columns * (tileW + gap) + gap), Math.max(1, rows * (tileH + gap) + gap), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < grid.getHeight(); y++) {
      for (int x = 0; x < grid.getWidth(); x++) {
        grid.setRGB(x, y, 0x808080);
      }
    }
    BatchLoader order = BatchLoader.builder(source).setBatchSize(Math.max(1, n)).optSeed(seed)
        .optHorizontalFlip(false).optDropLast(false).build();
    Iterator<Batch> batches = order.epoch(0);
    if (n > 0) {
      Batch b = batches.next();
      int plane = shape.height() * shape.width();
      for (int k = 0; k < n; k++) {
        int ox = gap + (k % columns) * (tileW + gap);
        int oy = gap + (k / columns) * (tileH + gap);
        int base = k * shape.size();
        for (int y = 0; y < tileH; y++) {
          for (int x = 0; x < tileW; x++) {
            int p = (y / zoom) * shape.width() + x / zoom;
            int r = byteOf(b.pixels()[base + p]);
            int g = shape.channels() >= 3 ? byteOf(b.pixels()[base + plane + p]) : r;
            int bl = shape.channels() >= 3 ? byteOf(b.pixels()[base + 2 * plane + p]) : r;
            grid.setRGB(ox + x, oy + y, (r << 16) | (g << 8) | bl);
          }
        }
      }
    }
    if (!ImageIO.write(grid, "png", png.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
  }

  private static int byteOf(float v) {
    return (int) Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
  }

  private void benchmark(PrintWriter o, DatasetSource source) {
    BatchLoader loader = BatchLoader.builder(source).setBatchSize(batchSize).optSeed(seed).build();
    if (loader.batchesPerEpoch() == 0) {
      throw new UserException("--batch-size " + batchSize + " is larger than the dataset (" + source.size() + " images)");
    }
    double checksum = drain(loader, 0); // warm-up: class loading and JIT
    long start = System.nanoTime();
    long images = 0;
    for (int e = 1; e <= benchmarkEpochs; e++) {
      checksum += drain(loader, e);
      images += (long) loader.batchesPerEpoch() * batchSize;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    o.printf(Locale.ROOT,
        "pipeline %d epochs x %d batches of %d %s: %.2f s, %.0f images/s (one thread; checksum %.3f)%n",
        benchmarkEpochs, loader.batchesPerEpoch(), batchSize, source.shape(), seconds, images / seconds, checksum);
  }

  /** Iterates one epoch, touching every batch so that nothing is optimised away. */
  private static double drain(BatchLoader loader, int epoch) {
    double sum = 0;
    for (Iterator<Batch> it = loader.epoch(epoch); it.hasNext(); ) {
      Batch b = it.next();
      sum += b.pixels()[b.pixels().length - 1] + b.labels()[0];
    }
    return sum;
  }
}
