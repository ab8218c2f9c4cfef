package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.plugins.dataset.Resampler.Filter;
import dev.jdiffusion.core.Limits;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetProvider;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * PNG and JPEG files in a directory tree (decoded with {@code javax.imageio}), each center-cropped to a
 * square and resized to {@code size x size} with a stated filter (see {@link Resampler}), as grayscale or
 * RGB. CelebA-64 as in DDIM (Song et al. 2021) and many DDPM reproductions: the aligned 178x218 images,
 * {@code crop: 178} (the center crop keeps rows 20..197), then {@code size: 64}.
 *
 * <p>Files are taken in the order of their relative paths (sorted), so indices are stable. With
 * {@code labels: true} every image must lie in a first-level subdirectory, whose index among the sorted
 * subdirectory names is its label (the class-per-folder layout). Decoding runs on all cores; the result
 * is kept in a compact cache file (raw bytes) keyed by the options and by every file's path, size and
 * modification time, so that a second run starts at once.
 */
public final class ImageFolderDataset implements DatasetProvider<ImageFolderDataset.Config> {
  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

  /** {@code {name: image-folder, dir: data/celeba/img_align_celeba, crop: 178, size: 64}} */
  public record Config(
      @Param("root of the tree of .png/.jpg/.jpeg files") String dir,
      @Param(value = "side of the square output images in pixels, 1 to 4096", defaultValue = "64") int size,
      @Param(value = "side of the centered square cropped first, in source pixels; 0 = the largest square",
          defaultValue = "0") int crop,
      @Param(value = "resize filter: nearest, box, bilinear, bicubic or lanczos (antialiased when shrinking, as Pillow)",
          defaultValue = "bilinear") String filter,
      @Param(value = "3 (RGB) or 1 (grayscale, ITU-R BT.601 luma)", defaultValue = "3") int channels,
      @Param(value = "label each image by its first-level subdirectory", defaultValue = "false") boolean labels,
      @Param(value = "number of images to keep, drawn with seed before decoding; 0 = all", defaultValue = "0")
          int subset,
      @Param(value = "black border in pixels added on every side, >= 0", defaultValue = "0") int padding,
      @Param(value = "random horizontal flip in the batch pipeline", defaultValue = "false") boolean flip,
      @Param(value = "seed of the subset draw", defaultValue = "0") long seed,
      @Param(value = "keep decoded images in a cache file for the next run", defaultValue = "true") boolean cache,
      @Param(value = "cache; null = $JDIFFUSION_CACHE/datasets/image-folder or ~/.cache/jdiffusion/datasets/image-folder",
          defaultValue = "null") String cacheDir)
      implements DatasetConfig {
    public Config {
      Options.requirePath("dir", dir);
      Require.atLeast("size", size, 1);
      if (size > Limits.MAX_IMAGE_SIDE) {
        throw new InvalidParameterException("size", size, "<= " + Limits.MAX_IMAGE_SIDE);
      }
      Require.atLeast("crop", crop, 0);
      if (Filter.parse(filter) == null) {
        throw new InvalidParameterException("filter", filter, "one of nearest, box, bilinear, bicubic, lanczos");
      }
      if (channels != 1 && channels != 3) {
        throw new InvalidParameterException("channels", channels, "1 or 3");
      }
      Require.atLeast("subset", subset, 0);
      Require.atLeast("padding", padding, 0);
      Options.optionalPath("cacheDir", cacheDir);
    }
  }

  @Override
  public String id() {
    return "image-folder";
  }

  @Override
  public String description() {
    return "PNG/JPEG files in a directory tree, center-cropped and resized (e.g. CelebA-64), gray or RGB";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public DatasetSource open(Config c) throws IOException {
    Path root = Path.of(c.dir());
    List<Path> files = list(root);
    int[] labels = c.labels() ? labels(root, files) : null;
    Preprocessing options = new Preprocessing(c.subset(), c.padding(), c.flip(), c.seed());
    int[] chosen = options.subsetIndices(files.size(), root.toString());
    if (chosen != null) {
      List<Path> kept = new ArrayList<>(chosen.length);
      int[] keptLabels = labels == null ? null : new int[chosen.length];
      for (int i = 0; i < chosen.length; i++) {
        kept.add(files.get(chosen[i]));
        if (labels != null) {
          keptLabels[i] = labels[chosen[i]];
        }
      }
      files = kept;
      labels = keptLabels;
    }
    ImageShape shape = new ImageShape(c.channels(), c.size(), c.size());
    Limits.requireHeap("size", c.size(), files.size() + " images of " + shape, (long) files.size() * shape.size());
    Path cacheFile = c.cache() ? Options.cacheDir(c.cacheDir(), id()).resolve(key(root, files, c) + ".jdds") : null;
    ByteImages data = cacheFile == null ? null : DecodedCache.read(cacheFile, shape, files.size(), labels != null);
    if (data == null) {
      data = decodeAll(files, c, ByteImages.allocate(shape, files.size(), labels));
      if (cacheFile != null) {
        DecodedCache.write(cacheFile, data);
      }
    }
    return new Preprocessing(0, c.padding(), c.flip(), c.seed()).apply(data, root.toString());
  }

  /** Every image file under {@code root}, sorted by relative path. */
  static List<Path> list(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new DatasetFormatException(
          root, "a directory of PNG/JPEG images", Files.exists(root) ? "a file" : "no such directory");
    }
    List<Path> images = new ArrayList<>();
    int others = 0;
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (EXTENSIONS.stream().anyMatch(name::endsWith)) {
          images.add(p);
        } else {
          others++;
        }
      }
    }
    if (images.isEmpty()) {
      throw new DatasetFormatException(
          root, "PNG or JPEG files (.png, .jpg, .jpeg) in the directory tree",
          others == 0 ? "an empty tree" : "only " + others + " other files");
    }
    images.sort((a, b) -> root.relativize(a).toString().compareTo(root.relativize(b).toString()));
    return images;
  }

  private static int[] labels(Path root, List<Path> files) throws IOException {
    TreeMap<String, Integer> classes = new TreeMap<>();
    for (Path f : files) {
      Path rel = root.relativize(f);
      if (rel.getNameCount() < 2) {
        throw new DatasetFormatException(
            f, "an image inside a first-level subdirectory (its class; labels: true)", "one directly in " + root);
      }
      classes.put(rel.getName(0).toString(), 0);
    }
    int next = 0;
    for (var e : classes.entrySet()) {
      e.setValue(next++);
    }
    int[] labels = new int[files.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = classes.get(root.relativize(files.get(i)).getName(0).toString());
    }
    return labels;
  }

  /** SHA-256 over the options that shape the decoded bytes and over each file's path, size and time. */
  private static String key(Path root, List<Path> files, Config c) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String options = String.join("|", "v1", root.toAbsolutePath().normalize().toString(),
        Integer.toString(c.size()), Integer.toString(c.crop()), c.filter(), Integer.toString(c.channels()),
        Boolean.toString(c.labels()), Integer.toString(files.size()));
    sha.update(options.getBytes(StandardCharsets.UTF_8));
    for (Path f : files) {
      BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
      sha.update(("\n" + root.relativize(f) + "|" + a.size() + "|" + a.lastModifiedTime().toMillis())
          .getBytes(StandardCharsets.UTF_8));
    }
    return "image-folder-" + HexFormat.of().formatHex(sha.digest(), 0, 12);
  }

  private static ByteImages decodeAll(List<Path> files, Config c, ByteImages into) throws IOException {
    int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), files.size()));
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "image-folder-decode");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> jobs = new ArrayList<>();
      int chunk = (files.size() + threads - 1) / threads;
      for (int t = 0; t < threads; t++) {
        int from = t * chunk;
        int to = Math.min(files.size(), from + chunk);
        jobs.add(pool.submit(() -> {
          for (int i = from; i < to; i++) {
            try {
              into.set(i, decode(files.get(i), c));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
          return null;
        }));
      }
      for (Future<?> job : jobs) {
        try {
          job.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof UncheckedIOException u) {
            throw u.getCause();
          }
          throw new IOException("decoding images failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while decoding images", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return into;
  }

  /** Decodes, crops and resizes one file to {@code channels x size x size} bytes. */
  static byte[] decode(Path file, Config c) throws IOException {
    BufferedImage image;
    try {
      image = ImageIO.read(file.toFile());
    } catch (IOException | RuntimeException e) {
      throw new DatasetFormatException(
          file.toString(), "a readable PNG or JPEG image", "data javax.imageio cannot decode (" + e.getMessage() + ")", e);
    }
    if (image == null) {
      throw new DatasetFormatException(file, "a PNG or JPEG image", "a format javax.imageio does not recognise");
    }
    int w = image.getWidth();
    int h = image.getHeight();
    int side = c.crop() == 0 ? Math.min(w, h) : c.crop();
    if (side > w || side > h) {
      throw new DatasetFormatException(
          file, "an image of at least " + side + "x" + side + " for the center crop (crop: " + c.crop() + ")",
          "one of " + w + "x" + h + " (width x height)");
    }
    // torchvision's CenterCrop: offsets round((size - crop) / 2)
    int left = (int) Math.round((w - side) / 2.0);
    int top = (int) Math.round((h - side) / 2.0);
    double[] planes = pixels(image, left, top, side, c.channels());
    return Resampler.resize(planes, c.channels(), side, side, c.size(), c.size(), Filter.parse(c.filter()));
  }

  /**
   * The cropped square as planes of 0..255 values. Single-band images are read from the raster (8 or
   * 16 bits), since {@code getRGB} would pass them through a linear-to-sRGB conversion; others through
   * {@code getRGB} (sRGB, alpha ignored). Gray from colour is ITU-R BT.601 luma (299 R + 587 G + 114 B)/1000.
   */
  private static double[] pixels(BufferedImage image, int left, int top, int side, int channels) {
    double[] planes = new double[channels * side * side];
    Raster raster = image.getRaster();
    boolean gray = raster.getNumBands() == 1;
    int bits = gray ? image.getColorModel().getComponentSize(0) : 8;
    double scale = 255.0 / ((1 << bits) - 1);
    int plane = side * side;
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        int k = y * side + x;
        double r;
        double g;
        double b;
        if (gray) {
          r = g = b = raster.getSample(left + x, top + y, 0) * scale;
        } else {
          int rgb = image.getRGB(left + x, top + y);
          r = (rgb >> 16) & 0xff;
          g = (rgb >> 8) & 0xff;
          b = rgb & 0xff;
        }
        if (channels == 1) {
          planes[k] = gray ? r : (299 * r + 587 * g + 114 * b) / 1000;
        } else {
          planes[k] = r;
          planes[plane + k] = g;
          planes[2 * plane + k] = b;
        }
      }
    }
    return planes;
  }
}
