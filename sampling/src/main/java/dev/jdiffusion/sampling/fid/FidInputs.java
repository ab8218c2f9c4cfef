package dev.jdiffusion.sampling.fid;

import dev.jdiffusion.sampling.io.ImageFolder;
import dev.jdiffusion.sampling.io.NpyRowReader;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns one argument of {@code ./diffusion fid} into feature statistics (and, for KID, feature vectors):
 *
 * <ul>
 *   <li>an {@code .npz} with {@code mu} and {@code sigma}: statistics as saved (pytorch-fid's layout);</li>
 *   <li>an {@code .npy} of shape [N, D]: feature vectors, used as given;</li>
 *   <li>an {@code .npy} of shape [N, C, H, W]: images in [-1, 1] (what {@code ./diffusion sample} writes),
 *       run through the extractor;</li>
 *   <li>a folder: its images ({@link ImageFolder}), run through the extractor;</li>
 *   <li>an opened dataset ({@link #fromDataset}): its images in index order, run through the extractor.</li>
 * </ul>
 *
 * Files are streamed in batches; only KID keeps the feature vectors in memory.
 */
public final class FidInputs {
  private FidInputs() {}

  /** What kind of input a path is. */
  public enum Kind {
    STATISTICS("statistics"),
    FEATURES("feature vectors"),
    IMAGE_ARRAY("images (.npy)"),
    IMAGE_FOLDER("image folder"),
    DATASET("dataset");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** Whether features must first be extracted from images. */
    public boolean needsExtractor() {
      return this == IMAGE_ARRAY || this == IMAGE_FOLDER || this == DATASET;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** Called with the number of items done and the total. */
  @FunctionalInterface
  public interface ProgressListener {
    void update(long done, long total);
  }

  /**
   * One loaded input.
   *
   * @param source the input: its path, or the dataset's specification
   * @param kind what it was
   * @param statistics its feature statistics
   * @param features the feature vectors, when asked for (never for {@link Kind#STATISTICS})
   * @param origin where the features came from, for reports: the extractor's description, or a sentence
   *     saying they were taken as given
   */
  public record Loaded(String source, Kind kind, FeatureStatistics statistics, Optional<FeatureMatrix> features,
      String origin) {}

  /**
   * Classifies an input by its type and, for {@code .npy}, its rank.
   *
   * @throws IOException naming the path when it is none of the supported kinds
   */
  public static Kind kind(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      return Kind.IMAGE_FOLDER;
    }
    if (!Files.isRegularFile(path)) {
      throw new IOException(path + ": no such file or folder");
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".npz")) {
      return Kind.STATISTICS;
    }
    if (name.endsWith(".npy")) {
      try (NpyRowReader r = NpyRowReader.open(path)) {
        long[] shape = r.header().shape();
        if (shape.length == 2) {
          return Kind.FEATURES;
        }
        if (shape.length == 4) {
          return Kind.IMAGE_ARRAY;
        }
        throw new IOException(path + ": expected feature vectors [N, D] or images [N, C, H, W], found shape "
            + Arrays.toString(shape));
      }
    }
    throw new IOException(path + ": expected an .npz of statistics, an .npy of features or images, or a folder of"
        + " images");
  }

  /**
   * The shape of the images an input holds: an image {@code .npy}'s [C, H, W], or a folder's first image
   * read with {@code channels} channels; empty for statistics and feature vectors.
   *
   * @throws IOException naming the input when it cannot be read
   */
  public static Optional<ImageShape> imageShape(Path path, int channels) throws IOException {
    Kind kind = kind(path);
    if (kind == Kind.IMAGE_ARRAY) {
      try (NpyRowReader r = NpyRowReader.open(path)) {
        long[] shape = r.header().shape();
        return Optional.of(new ImageShape((int) shape[1], (int) shape[2], (int) shape[3]));
      }
    }
    if (kind == Kind.IMAGE_FOLDER) {
      List<Path> files = ImageFolder.list(path);
      if (files.isEmpty()) {
        throw new IOException(path + ": no images (.png, .jpg, .jpeg, .bmp) in the folder");
      }
      return Optional.of(ImageFolder.read(files.get(0), channels).shape());
    }
    return Optional.empty();
  }

  /**
   * The features of a dataset's first {@code limit} images (all when {@code limit} is 0 or more than it
   * holds), in index order, batch by batch.
   *
   * @param spec how the dataset was named, for reports
   * @param extractor turns the images into features
   * @param keepFeatures also return the feature vectors (for KID)
   * @throws IOException when fewer than 2 images would be used
   */
  public static Loaded fromDataset(String spec, DatasetSource data, FeatureExtractor extractor, int limit,
      boolean keepFeatures, ProgressListener progress) throws IOException {
    int n = limit > 0 ? Math.min(limit, data.size()) : data.size();
    if (n < 2) {
      throw new IOException(spec + ": " + n + " image(s); FID needs at least 2");
    }
    ImageShape shape = data.shape();
    Features features = new Features(extractor.dimension(), keepFeatures, n);
    int batch = 200;
    float[] px = new float[batch * shape.size()];
    for (int start = 0; start < n; start += batch) {
      int m = Math.min(batch, n - start);
      for (int i = 0; i < m; i++) {
        data.read(start + i, px, i * shape.size());
      }
      float[] chunk = m == batch ? px : Arrays.copyOf(px, m * shape.size());
      features.add(extractor.extract(chunk, m, shape), m);
      if (progress != null) {
        progress.update(start + m, n);
      }
    }
    return features.loaded(spec, Kind.DATASET, extractor.description());
  }

  /**
   * Loads an input.
   *
   * @param extractor required for images, may be {@code null} otherwise
   * @param keepFeatures also return the feature vectors (for KID)
   * @throws IOException naming the input when it cannot be read, when images come without an extractor, or
   *     when vectors are asked of statistics
   */
  public static Loaded load(Path path, FeatureExtractor extractor, boolean keepFeatures, ProgressListener progress)
      throws IOException {
    Kind kind = kind(path);
    if (kind.needsExtractor() && extractor == null) {
      throw new IOException(path + ": " + kind + " need a feature extractor (an ONNX model) to compute features");
    }
    if (kind == Kind.STATISTICS && keepFeatures) {
      throw new IOException(path + ": KID needs feature vectors, but this .npz holds only statistics (mu, sigma);"
          + " pass an .npy of features or images instead");
    }
    String given = "features as given in " + path.getFileName() + " (extractor unknown to jdiffusion)";
    return switch (kind) {
      case STATISTICS -> new Loaded(path.toString(), kind, FeatureStatistics.load(path), Optional.empty(),
          "statistics as saved in " + path.getFileName() + " (extractor unknown to jdiffusion)");
      case FEATURES -> fromRows(path, kind, null, keepFeatures, progress, given);
      case IMAGE_ARRAY -> fromRows(path, kind, extractor, keepFeatures, progress, extractor.description());
      case IMAGE_FOLDER -> fromFolder(path, extractor, keepFeatures, progress);
      case DATASET -> throw new IllegalStateException("a path is never a dataset; see fromDataset");
    };
  }

  private static Loaded fromRows(Path path, Kind kind, FeatureExtractor extractor, boolean keep,
      ProgressListener progress, String origin) throws IOException {
    try (NpyRowReader r = NpyRowReader.open(path)) {
      long[] shape = r.header().shape();
      ImageShape image = null;
      int d;
      if (extractor == null) {
        d = (int) shape[1];
        if (d < 1) {
          throw new IOException(path + ": feature vectors of dimension 0");
        }
      } else {
        if (shape[1] != 1 && shape[1] != 3) {
          throw new IOException(path + ": images must have 1 or 3 channels, found shape " + Arrays.toString(shape));
        }
        image = new ImageShape((int) shape[1], (int) shape[2], (int) shape[3]);
        d = extractor.dimension();
      }
      if (r.rows() < 2) {
        throw new IOException(path + ": " + r.rows() + " rows; FID needs at least 2 (and more than D = " + d + ")");
      }
      Features features = new Features(d, keep, r.rows());
      int batch = Math.max(1, Math.min(256, (1 << 22) / Math.max(1, r.rowLength())));
      double[] buf = new double[batch * r.rowLength()];
      for (int n; (n = r.read(buf, batch)) > 0; ) {
        if (extractor == null) {
          features.add(buf, n);
        } else {
          float[] px = new float[n * image.size()];
          for (int i = 0; i < px.length; i++) {
            px[i] = (float) buf[i];
          }
          features.add(extractor.extract(px, n, image), n);
        }
        if (progress != null) {
          progress.update(r.rows() - r.remaining(), r.rows());
        }
      }
      return features.loaded(path.toString(), kind, origin);
    }
  }

  private static Loaded fromFolder(Path dir, FeatureExtractor extractor, boolean keep, ProgressListener progress)
      throws IOException {
    List<Path> files = ImageFolder.list(dir);
    if (files.size() < 2) {
      throw new IOException(dir + ": " + files.size() + " image; FID needs at least 2");
    }
    int channels = extractor.inputShape().channels();
    Features features = new Features(extractor.dimension(), keep, files.size());
    int batch = 50;
    // Consecutive images of one shape go to the extractor together; it adapts their size (resize, or the
    // padding its model asks for) and channels.
    List<ImageFolder.Image> pending = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      ImageFolder.Image img = ImageFolder.read(files.get(i), channels);
      if (!pending.isEmpty() && (pending.size() == batch || !pending.get(0).shape().equals(img.shape()))) {
        extractBatch(extractor, pending, features);
        if (progress != null) {
          progress.update(i, files.size());
        }
      }
      pending.add(img);
    }
    extractBatch(extractor, pending, features);
    if (progress != null) {
      progress.update(files.size(), files.size());
    }
    return features.loaded(dir.toString(), Kind.IMAGE_FOLDER, extractor.description());
  }

  private static void extractBatch(FeatureExtractor extractor, List<ImageFolder.Image> images, Features features) {
    ImageShape shape = images.get(0).shape();
    float[] px = new float[images.size() * shape.size()];
    for (int i = 0; i < images.size(); i++) {
      System.arraycopy(images.get(i).pixels(), 0, px, i * shape.size(), shape.size());
    }
    features.add(extractor.extract(px, images.size(), shape), images.size());
    images.clear();
  }

  /** Accumulates statistics and, when asked, keeps the vectors. */
  private static final class Features {
    private final MomentAccumulator moments;
    private final double[] kept;
    private int rows;

    Features(int d, boolean keep, long expectedRows) throws IOException {
      moments = new MomentAccumulator(d);
      if (keep && expectedRows * d > Integer.MAX_VALUE - 8) {
        throw new IOException(expectedRows + " feature vectors of D = " + d + " are too many to hold for KID");
      }
      kept = keep ? new double[(int) (expectedRows * d)] : null;
    }

    void add(double[] values, int n) {
      moments.add(values, n);
      if (kept != null) {
        System.arraycopy(values, 0, kept, rows * moments.dimension(), n * moments.dimension());
      }
      rows += n;
    }

    Loaded loaded(String source, Kind kind, String origin) {
      Optional<FeatureMatrix> f = kept == null ? Optional.empty()
          : Optional.of(new FeatureMatrix(rows, moments.dimension(), kept));
      return new Loaded(source, kind, moments.statistics(), f, origin);
    }
  }
}
