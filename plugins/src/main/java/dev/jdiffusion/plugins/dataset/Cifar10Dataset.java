package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.plugins.dataset.Download.Checksum;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * CIFAR-10 (Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images"), binary version:
 * {@code data_batch_1.bin} .. {@code data_batch_5.bin} (training, 50000 images) and
 * {@code test_batch.bin} (10000), each a sequence of 10000 records of 3073 bytes: the label (0..9), then
 * the 1024 red, 1024 green and 1024 blue values of a 32x32 image in row-major order (the layout of the
 * CIFAR page, https://www.cs.toronto.edu/~kriz/cifar.html). The records are already channels first.
 *
 * <p>Read from a directory of the {@code .bin} files (or one holding {@code cifar-10-batches-bin/}), or
 * from the official {@code cifar-10-binary.tar.gz} without unpacking it; with neither configured, from
 * the cache directory, where the archive is downloaded (MD5 verified) when allowed.
 */
public final class Cifar10Dataset implements DatasetProvider<Cifar10Dataset.Config> {
  static final int RECORD_BYTES = 1 + 3 * 32 * 32;
  static final String ARCHIVE = "cifar-10-binary.tar.gz";
  static final String BATCHES_DIR = "cifar-10-batches-bin";
  /** MD5 of cifar-10-binary.tar.gz as listed on the CIFAR page. */
  static final Checksum ARCHIVE_MD5 = Checksum.md5("c32a1d4ab5d03f1284b67883e8d87530");
  static final Layout OFFICIAL = new Layout(
      List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"),
      List.of("test_batch.bin"), 10_000);

  /**
   * Which batch files make up each split, and how many records each must hold.
   *
   * @param train the training batches, in order
   * @param test the test batches
   * @param recordsPerBatch records per file
   */
  record Layout(List<String> train, List<String> test, int recordsPerBatch) {
    Layout {
      train = List.copyOf(train);
      test = List.copyOf(test);
    }

    List<String> files(String split) {
      return Splits.isTest(split) ? test : train;
    }
  }

  /** {@code {name: cifar10, dir: data/cifar-10-batches-bin, flip: true}} */
  public record Config(
      @Param(value = "directory holding the .bin batches (or cifar-10-batches-bin/ with them); null = not used",
          defaultValue = "null") String dir,
      @Param(value = "path of cifar-10-binary.tar.gz, read without unpacking; null = not used",
          defaultValue = "null") String archive,
      @Param(value = "train (50000 images) or test (10000)", defaultValue = "train") String split,
      @Param(value = "number of images to keep, drawn with seed; 0 = all", defaultValue = "0") int subset,
      @Param(value = "black border in pixels added on every side, >= 0", defaultValue = "0") int padding,
      @Param(value = "random horizontal flip in the batch pipeline (usual for CIFAR-10)", defaultValue = "false")
          boolean flip,
      @Param(value = "seed of the subset draw", defaultValue = "0") long seed,
      @Param(value = "with neither dir nor archive: download the archive into cacheDir (MD5 verified)",
          defaultValue = "true") boolean download,
      @Param(value = "cache; null = $JDIFFUSION_CACHE/datasets/cifar10 or ~/.cache/jdiffusion/datasets/cifar10",
          defaultValue = "null") String cacheDir,
      @Param(value = "URL of the archive", defaultValue = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")
          String url)
      implements DatasetConfig {
    public Config {
      Options.optionalPath("dir", dir);
      Options.optionalPath("archive", archive);
      if (dir != null && archive != null) {
        throw new InvalidParameterException("archive", archive, "null when dir is set (give one of dir and archive)");
      }
      Splits.check(split);
      Require.atLeast("subset", subset, 0);
      Require.atLeast("padding", padding, 0);
      Options.optionalPath("cacheDir", cacheDir);
      Options.requireUrl("url", url);
    }
  }

  @Override
  public String id() {
    return "cifar10";
  }

  @Override
  public String description() {
    return "CIFAR-10 binary batches (Krizhevsky 2009): 50000/10000 3x32x32, 10 classes; dir or tar.gz";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public DatasetSource open(Config c) throws IOException {
    ByteImages data;
    String origin;
    if (c.dir() != null) {
      Path dir = batchesDir(Path.of(c.dir()));
      data = readDirectory(dir, OFFICIAL, c.split());
      origin = dir.toString();
    } else if (c.archive() != null) {
      data = readArchive(Path.of(c.archive()), OFFICIAL, c.split());
      origin = c.archive();
    } else {
      Path cache = Options.cacheDir(c.cacheDir(), id());
      Path unpacked = cache.resolve(BATCHES_DIR);
      if (Files.isDirectory(unpacked)) {
        data = readDirectory(unpacked, OFFICIAL, c.split());
        origin = unpacked.toString();
      } else {
        Path archive = cache.resolve(ARCHIVE);
        if (!Files.isRegularFile(archive)) {
          if (!c.download()) {
            throw new DatasetFormatException(
                cache.toString(), BATCHES_DIR + "/ or " + ARCHIVE + " (no dir or archive is configured)",
                "neither, and download is false", null);
          }
          try {
            Download.fetch(URI.create(c.url()), archive, ARCHIVE_MD5);
          } catch (DatasetFormatException e) {
            throw e;
          } catch (IOException e) {
            throw new IOException("cifar10: no dir or archive configured, none in " + cache
                + ", and the download failed: " + e.getMessage(), e);
          }
        }
        data = readArchive(archive, OFFICIAL, c.split());
        origin = archive.toString();
      }
    }
    return new Preprocessing(c.subset(), c.padding(), c.flip(), c.seed()).apply(data, origin);
  }

  /** {@code dir} itself, or its {@code cifar-10-batches-bin} subdirectory when the batches are there. */
  private static Path batchesDir(Path dir) {
    Path inner = dir.resolve(BATCHES_DIR);
    return Files.isDirectory(inner) && !Files.exists(dir.resolve(OFFICIAL.train().get(0))) ? inner : dir;
  }

  /** Reads the batches of a split from a directory. */
  static ByteImages readDirectory(Path dir, Layout layout, String split) throws IOException {
    List<String> names = layout.files(split);
    if (!Files.isDirectory(dir)) {
      throw new DatasetFormatException(
          dir, "a directory holding " + String.join(", ", names), Files.exists(dir) ? "a file" : "no such directory");
    }
    List<String> missing = names.stream().filter(n -> !Files.isRegularFile(dir.resolve(n))).toList();
    if (!missing.isEmpty()) {
      throw new DatasetFormatException(
          dir, String.join(", ", names), "no " + String.join(", ", missing) + " (present: " + listing(dir) + ")");
    }
    Map<String, byte[]> batches = new LinkedHashMap<>();
    long expected = (long) layout.recordsPerBatch() * RECORD_BYTES;
    for (String name : names) {
      Path file = dir.resolve(name);
      long size = Files.size(file);
      if (size != expected) {
        throw new DatasetFormatException(file, sizeExpectation(layout), size + " bytes");
      }
      batches.put(file.toString(), Files.readAllBytes(file));
    }
    return decode(batches, layout);
  }

  /** Reads the batches of a split from a (gzipped) tar archive, matching members by file name. */
  static ByteImages readArchive(Path archive, Layout layout, String split) throws IOException {
    List<String> names = layout.files(split);
    Map<String, byte[]> found = new LinkedHashMap<>();
    List<String> members = new ArrayList<>();
    long expected = (long) layout.recordsPerBatch() * RECORD_BYTES;
    try (InputStream raw = DataFiles.open(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
      TarArchiveEntry entry;
      while ((entry = nextEntry(tar, archive)) != null) {
        String base = entry.getName().substring(entry.getName().lastIndexOf('/') + 1);
        members.add(entry.getName());
        if (!entry.isFile() || !names.contains(base)) {
          continue;
        }
        String where = archive + "!" + entry.getName();
        if (entry.getSize() != expected) {
          throw new DatasetFormatException(where, sizeExpectation(layout), entry.getSize() + " bytes", null);
        }
        byte[] data = new byte[(int) expected];
        int got = DataFiles.readFully(tar, data, 0, data.length, archive);
        if (got < data.length) {
          throw new DatasetFormatException(
              where, expected + " bytes", "only " + got + " before the archive ended: it is truncated", null);
        }
        found.put(base, data);
      }
    }
    List<String> missing = names.stream().filter(n -> !found.containsKey(n)).toList();
    if (!missing.isEmpty()) {
      throw new DatasetFormatException(
          archive.toString(), "members " + String.join(", ", names),
          "no " + String.join(", ", missing) + " among " + (members.isEmpty() ? "no members" : members.size()
              + " members: " + String.join(", ", members.subList(0, Math.min(10, members.size())))), null);
    }
    Map<String, byte[]> ordered = new LinkedHashMap<>();
    for (String n : names) {
      ordered.put(archive + "!" + n, found.get(n));
    }
    return decode(ordered, layout);
  }

  private static TarArchiveEntry nextEntry(TarArchiveInputStream tar, Path archive) throws IOException {
    try {
      return tar.getNextEntry();
    } catch (DatasetFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new DatasetFormatException(
          archive.toString(), "a tar archive (gzipped or not)", "unreadable data (" + e.getMessage() + ")", e);
    }
  }

  private static String sizeExpectation(Layout layout) {
    return layout.recordsPerBatch() + " records of " + RECORD_BYTES + " bytes (1 label + 3072 pixels) = "
        + (long) layout.recordsPerBatch() * RECORD_BYTES + " bytes";
  }

  /** Splits records into labels and CHW pixels, checking every label. */
  private static ByteImages decode(Map<String, byte[]> batches, Layout layout) throws IOException {
    int perBatch = layout.recordsPerBatch();
    int count = perBatch * batches.size();
    ImageShape shape = new ImageShape(3, 32, 32);
    byte[] pixels = new byte[count * shape.size()];
    int[] labels = new int[count];
    int i = 0;
    for (Map.Entry<String, byte[]> batch : batches.entrySet()) {
      byte[] records = batch.getValue();
      for (int r = 0; r < perBatch; r++, i++) {
        int at = r * RECORD_BYTES;
        int label = records[at] & 0xff;
        if (label > 9) {
          throw new DatasetFormatException(
              batch.getKey(), "labels 0..9 (one byte before each 3072-byte image)",
              "label " + label + " in record " + r + " (byte offset " + at + ")", null);
        }
        labels[i] = label;
        System.arraycopy(records, at + 1, pixels, i * shape.size(), shape.size());
      }
    }
    return new ByteImages(shape, pixels, labels, count);
  }

  private static String listing(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().limit(20).toList();
      return names.isEmpty() ? "nothing, the directory is empty" : String.join(", ", names);
    }
  }
}
