package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.plugins.dataset.Download.Checksum;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A published dataset of four IDX files (MNIST's layout: {@code train-images-idx3-ubyte.gz},
 * {@code train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz}, {@code t10k-labels-idx1-ubyte.gz}),
 * with the places to look for them and the checksums of the official downloads.
 *
 * <p>Where the files are found: when a directory is configured, there and only there (a missing
 * directory or file is an error naming it); otherwise in each system directory (e.g. where a Debian
 * package installs them), then in the cache directory, and finally, when downloading is allowed, they
 * are downloaded into the cache with their checksums verified. In a directory, each file may be gzipped
 * ({@code name.gz}) or not ({@code name}).
 *
 * @param id the plugin id, for messages
 * @param systemDirs directories searched when none is configured
 * @param baseUrl the official download location (a directory URL ending in {@code /})
 * @param train the training split
 * @param test the test split
 * @param height image height every file must have
 * @param width image width every file must have
 * @param classes labels must lie in {@code [0, classes)}
 */
record IdxCollection(
    String id, List<Path> systemDirs, String baseUrl, Split train, Split test, int height, int width, int classes) {

  /**
   * The files of one split.
   *
   * @param images the image file's name, without {@code .gz}
   * @param labels the label file's name, without {@code .gz}
   * @param count the number of images the split must have
   * @param imagesChecksum the digest of the official {@code images.gz}
   * @param labelsChecksum the digest of the official {@code labels.gz}
   */
  record Split(String images, String labels, int count, Checksum imagesChecksum, Checksum labelsChecksum) {
    Split {
      java.util.Objects.requireNonNull(imagesChecksum, "imagesChecksum");
      java.util.Objects.requireNonNull(labelsChecksum, "labelsChecksum");
    }
  }

  /** Fashion-MNIST (Xiao, Rasul and Vollgraf 2017), MD5s from its README. */
  static final IdxCollection FASHION_MNIST = new IdxCollection(
      "fashion-mnist",
      List.of(Path.of("/usr/share/datasets/fashion-mnist")),
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
      new Split("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000,
          Checksum.md5("8d4fb7e6c68d591d4c3dfef9ec88bf0d"), Checksum.md5("25c81989df183df01b3e8a0aad5dffbe")),
      new Split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000,
          Checksum.md5("bef4ecab320f06d8554ea6380940ec79"), Checksum.md5("bb300cfdad3c16e7a12a480ee83cd310")),
      28, 28, 10);

  /**
   * MNIST (LeCun et al.), from the mirror torchvision uses since the original site throttles downloads;
   * the MD5s are those of the original files.
   */
  static final IdxCollection MNIST = new IdxCollection(
      "mnist",
      List.of(),
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      new Split("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000,
          Checksum.md5("f68b3c2dcbeaaa9fbdd348bbdeb94873"), Checksum.md5("d53e105ee54ea40749a09fcbcd1e9432")),
      new Split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000,
          Checksum.md5("9fb629c4189551a2d022fa330f9573f3"), Checksum.md5("ec29112dd5afa0611ce80d1b7f02629c")),
      28, 28, 10);

  IdxCollection {
    systemDirs = List.copyOf(systemDirs);
  }

  Split split(String name) {
    return Splits.isTest(name) ? test : train;
  }

  /** The image file and the label file of a split, found or downloaded as described above. */
  Path[] locate(Split split, Path dir, Path cacheDir, boolean download, String fromUrl) throws IOException {
    if (dir != null) {
      if (!Files.isDirectory(dir)) {
        throw new DatasetFormatException(
            dir, "a directory holding " + names(split), Files.exists(dir) ? "a file" : "no such directory");
      }
      Path[] found = find(dir, split);
      if (found[0] == null || found[1] == null) {
        throw new DatasetFormatException(dir, names(split), "only " + listing(dir));
      }
      return found;
    }
    List<Path> searched = new ArrayList<>(systemDirs);
    searched.add(cacheDir);
    for (Path d : searched) {
      if (Files.isDirectory(d)) {
        Path[] found = find(d, split);
        if (found[0] != null && found[1] != null) {
          return found;
        }
      }
    }
    String where = searched.stream().map(Path::toString).collect(Collectors.joining(", "));
    if (!download) {
      throw new DatasetFormatException(
          where, names(split) + " in one of these directories",
          "none there, and download is false (allow the download into " + cacheDir + ", or " + howToGet(split)
              + ")", null);
    }
    String base = fromUrl.endsWith("/") ? fromUrl : fromUrl + "/";
    try {
      Path images = Download.fetch(URI.create(base + split.images() + ".gz"),
          cacheDir.resolve(split.images() + ".gz"), split.imagesChecksum());
      Path labels = Download.fetch(URI.create(base + split.labels() + ".gz"),
          cacheDir.resolve(split.labels() + ".gz"), split.labelsChecksum());
      return new Path[] {images, labels};
    } catch (DatasetFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException(id + ": no copy of " + names(split) + " in " + where + ", and the download failed: "
          + firstLine(e.getMessage()) + "; to get the data, " + howToGet(split), e);
    }
  }

  /** Finds (or downloads) and reads a split, then applies the common options. */
  dev.jdiffusion.spi.dataset.DatasetSource open(
      String splitName, String dir, String cacheDir, boolean download, String fromUrl, Preprocessing options)
      throws IOException {
    Split split = split(splitName);
    Path[] files = locate(split, dir == null ? null : Path.of(dir), Options.cacheDir(cacheDir, id), download, fromUrl);
    return options.apply(read(split, files[0], files[1]), files[0].toString());
  }

  /** Reads a split and checks it against the published sizes. */
  ByteImages read(Split split, Path images, Path labels) throws IOException {
    ByteImages data = IdxReader.read(images, labels);
    if (data.count() != split.count()) {
      throw new DatasetFormatException(
          images, split.count() + " images (the " + id + " " + (split == test ? "test" : "train") + " split)",
          data.count() + " images");
    }
    if (data.shape().height() != height || data.shape().width() != width) {
      throw new DatasetFormatException(
          images, "images of " + height + "x" + width, "images of " + data.shape().height() + "x" + data.shape().width());
    }
    int[] l = data.labels();
    for (int i = 0; i < l.length; i++) {
      if (l[i] >= classes) {
        throw new DatasetFormatException(
            labels, "labels in 0.." + (classes - 1), "label " + l[i] + " for image " + i);
      }
    }
    return data;
  }

  /** The ways to get the files without a download, for messages. */
  private String howToGet(Split split) {
    String debian = DEBIAN_PACKAGES.get(id);
    return (debian == null ? "" : "install the Debian package " + debian + " (apt-get install " + debian + "), ")
        + "set dataset.dir to a directory holding " + names(split)
        + ", or train on generated images with dataset: {name: synthetic}";
  }

  /** Debian packages that install a collection into its system directory. */
  private static final java.util.Map<String, String> DEBIAN_PACKAGES =
      java.util.Map.of("fashion-mnist", "dataset-fashion-mnist");

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static Path[] find(Path dir, Split split) {
    return new Path[] {either(dir, split.images()), either(dir, split.labels())};
  }

  private static Path either(Path dir, String name) {
    Path gz = dir.resolve(name + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    Path raw = dir.resolve(name);
    return Files.isRegularFile(raw) ? raw : null;
  }

  private static String names(Split split) {
    return split.images() + "[.gz] and " + split.labels() + "[.gz]";
  }

  private static String listing(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().limit(20).toList();
      return names.isEmpty() ? "an empty directory" : String.join(", ", names);
    }
  }
}
