package dev.jdiffusion.sampling.fid;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.jdiffusion.sampling.io.ImageTensors;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A {@link FeatureExtractor} that runs an ONNX model in ONNX Runtime. The model takes one float32 image
 * batch [N, C, H, W] (C = 1 or 3) and returns, under some output name, pooled features [N, D] or
 * [N, D, 1, 1] (any trailing shape is flattened per image).
 *
 * <p>How the model is called is resolved in this order: an explicit {@link Options} value, then the
 * model's {@code metadata_props} (the keys that jdiffusion's classifier exporter writes,
 * {@code dev.jdiffusion.exporter.ClassifierExporter}), then what the graph declares:
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>metadata key</th><th>from the graph / default</th></tr>
 *   <tr><td>input name</td><td>{@code jdiffusion.extractor.input}</td><td>the model's only input</td></tr>
 *   <tr><td>output name</td><td>{@code jdiffusion.extractor.output}</td><td>the model's only output
 *       (required when it has several)</td></tr>
 *   <tr><td>input height and width</td><td>{@code jdiffusion.extractor.size} (square)</td>
 *       <td>the input's static dimensions; required when they are symbolic</td></tr>
 *   <tr><td>pixel range</td><td>{@code jdiffusion.extractor.pixel_min}, {@code .pixel_max}</td>
 *       <td>[-1, 1]</td></tr>
 *   <tr><td>name in reports</td><td>{@code jdiffusion.extractor.name}</td><td>the file name</td></tr>
 *   <tr><td>padding</td><td>{@code jdiffusion.extractor.padding}</td><td>0</td></tr>
 * </table>
 *
 * {@code jdiffusion.extractor.dataset} and {@code .test_accuracy}, when present, are quoted in the
 * description; a {@code jdiffusion.extractor.format_version} other than 1 is refused.
 *
 * Images are then adapted on the host: images smaller than the input by exactly twice the padding (28x28
 * for a 32x32 network with padding 2, as Fashion-MNIST is padded for training) are padded with black (-1);
 * channels by {@link ImageTensors#channels} (gray replicated to RGB,
 * RGB to BT.601 luma), size by {@link ImageTensors#resize} (bilinear, half-pixel centres, like PyTorch's
 * {@code F.interpolate(..., align_corners=False)} that pytorch-fid applies before Inception), and pixels
 * mapped linearly from [-1, 1] to the model's range (pytorch-fid's Inception takes [0, 1]). The
 * {@link #description()} names the file, the first 12 hex digits of its SHA-256, and these settings.
 */
public final class OnnxFeatureExtractor implements FeatureExtractor {
  /** Prefix of the metadata keys read here. */
  public static final String PREFIX = "jdiffusion.extractor.";
  /** The metadata format this reader understands. */
  public static final String FORMAT_VERSION = "1";

  /**
   * Overrides of what the model declares; {@code null} (or {@code NaN}, 0) means "from the model".
   *
   * @param input input name
   * @param output output name
   * @param height input height the network takes (0: from the model)
   * @param width input width the network takes (0: from the model)
   * @param pixelMin the network's pixel value for black (NaN: from the model, else -1)
   * @param pixelMax the network's pixel value for white (NaN: from the model, else 1)
   * @param batch images per network call
   * @param threads ONNX Runtime intra-op threads
   */
  public record Options(String input, String output, int height, int width, double pixelMin, double pixelMax,
      int batch, int threads) {
    public Options {
      if (batch < 1 || threads < 1) {
        throw new IllegalArgumentException("batch and threads must be >= 1, got " + batch + " and " + threads);
      }
      if (height < 0 || width < 0) {
        throw new IllegalArgumentException("input height and width must be >= 0 (0: from the model), got "
            + height + "x" + width);
      }
    }

    /** Everything from the model; batches of 50 (pytorch-fid's default); one thread per core. */
    public static Options defaults() {
      return new Options(null, null, 0, 0, Double.NaN, Double.NaN, 50, Runtime.getRuntime().availableProcessors());
    }

    public Options withOutput(String name) {
      return new Options(input, name, height, width, pixelMin, pixelMax, batch, threads);
    }

    public Options withInput(String name) {
      return new Options(name, output, height, width, pixelMin, pixelMax, batch, threads);
    }

    public Options withSize(int h, int w) {
      return new Options(input, output, h, w, pixelMin, pixelMax, batch, threads);
    }

    public Options withPixelRange(double min, double max) {
      return new Options(input, output, height, width, min, max, batch, threads);
    }

    public Options withBatch(int b) {
      return new Options(input, output, height, width, pixelMin, pixelMax, b, threads);
    }

    public Options withThreads(int t) {
      return new Options(input, output, height, width, pixelMin, pixelMax, batch, t);
    }
  }

  private final Path file;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final String input;
  private final String output;
  private final ImageShape inputShape;
  private final double pixelMin;
  private final double pixelMax;
  private final int padding;
  private final int batch;
  private final int dimension;
  private final String description;

  private OnnxFeatureExtractor(Path file, OrtEnvironment env, OrtSession session, String input, String output,
      ImageShape inputShape, double pixelMin, double pixelMax, int padding, int batch, int dimension,
      String description) {
    this.file = file;
    this.env = env;
    this.session = session;
    this.input = input;
    this.output = output;
    this.inputShape = inputShape;
    this.pixelMin = pixelMin;
    this.pixelMax = pixelMax;
    this.padding = padding;
    this.batch = batch;
    this.dimension = dimension;
    this.description = description;
  }

  /**
   * Opens a model and resolves its settings.
   *
   * @throws FeatureExtractionException naming the file and the setting when the model cannot serve as an
   *     extractor (missing file, several inputs or outputs and no name given, a non-float input, an input
   *     that is not [N, C, H, W] with C = 1 or 3, symbolic size without a size given)
   */
  public static OnnxFeatureExtractor open(Path file, Options options) {
    if (!Files.isRegularFile(file)) {
      throw new FeatureExtractionException(file + ": no such feature extractor model");
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session;
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(options.threads());
      so.setInterOpNumThreads(1);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      session = env.createSession(file.toString(), so);
    } catch (OrtException e) {
      throw new FeatureExtractionException(file + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
    }
    try {
      return resolve(file, env, session, options);
    } catch (OrtException | RuntimeException e) {
      try {
        session.close();
      } catch (OrtException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof FeatureExtractionException f) {
        throw f;
      }
      throw new FeatureExtractionException(file + ": " + e.getMessage(), e);
    }
  }

  private static OnnxFeatureExtractor resolve(Path file, OrtEnvironment env, OrtSession session, Options o)
      throws OrtException {
    Map<String, String> meta = session.getMetadata().getCustomMetadata();
    String version = meta.get(PREFIX + "format_version");
    if (version != null && !version.trim().equals(FORMAT_VERSION)) {
      throw new FeatureExtractionException(file + ": metadata " + PREFIX + "format_version = '" + version
          + "' is not supported (this reader reads " + FORMAT_VERSION + ")");
    }
    Map<String, NodeInfo> inputs = session.getInputInfo();
    Map<String, NodeInfo> outputs = session.getOutputInfo();
    String input = pick(file, "input", o.input(), meta.get(PREFIX + "input"), inputs.keySet());
    String output = pick(file, "output", o.output(), meta.get(PREFIX + "output"), outputs.keySet());
    if (!(inputs.get(input).getInfo() instanceof TensorInfo in) || in.type != OnnxJavaType.FLOAT) {
      throw new FeatureExtractionException(file + ": input '" + input + "' must be a float32 tensor, found "
          + inputs.get(input).getInfo());
    }
    long[] dims = in.getShape();
    if (dims.length != 4 || (dims[1] != 1 && dims[1] != 3)) {
      throw new FeatureExtractionException(file + ": input '" + input + "' must be [N, C, H, W] with C = 1 or 3,"
          + " found " + java.util.Arrays.toString(dims));
    }
    int h = size(file, "height", o.height(), meta.get(PREFIX + "size"), dims[2]);
    int w = size(file, "width", o.width(), meta.get(PREFIX + "size"), dims[3]);
    ImageShape shape = new ImageShape((int) dims[1], h, w);
    double min = number(file, "pixel_min", o.pixelMin(), meta.get(PREFIX + "pixel_min"), -1);
    double max = number(file, "pixel_max", o.pixelMax(), meta.get(PREFIX + "pixel_max"), 1);
    if (!(max > min)) {
      throw new FeatureExtractionException(file + ": pixel range [" + min + ", " + max + "] is empty");
    }
    double pad = number(file, "padding", Double.NaN, meta.get(PREFIX + "padding"), 0);
    if (pad != Math.rint(pad) || pad < 0 || 2 * pad >= Math.min(h, w)) {
      throw new FeatureExtractionException(file + ": metadata " + PREFIX + "padding = '" + meta.get(PREFIX + "padding")
          + "' must be a whole number from 0 to " + (Math.min(h, w) - 1) / 2);
    }
    int padding = (int) pad;
    int d = -1;
    if (outputs.get(output).getInfo() instanceof TensorInfo out) {
      long[] od = out.getShape();
      long n = 1;
      for (int i = 1; i < od.length; i++) {
        n = od[i] < 0 || n < 0 ? -1 : n * od[i];
      }
      d = od.length >= 2 ? (int) n : -1;
    }
    String name = meta.getOrDefault(PREFIX + "name", file.getFileName().toString());
    OnnxFeatureExtractor x = new OnnxFeatureExtractor(file, env, session, input, output, shape, min, max,
        padding, o.batch(), d, "");
    if (d < 1) {
      d = x.run(new float[shape.size()], 1).length;
    }
    String trained = meta.containsKey(PREFIX + "dataset") ? ", trained on " + meta.get(PREFIX + "dataset")
        + (meta.containsKey(PREFIX + "test_accuracy") ? " (test accuracy " + meta.get(PREFIX + "test_accuracy") + ")"
            : "") : "";
    String padded = padding == 0 ? "" : String.format(Locale.ROOT, " (%dx%d images padded by %d)",
        h - 2 * padding, w - 2 * padding, padding);
    String description = String.format(Locale.ROOT, "%s (%s, sha256 %s%s, input '%s' %s%s in [%s, %s], output '%s', D = %d)",
        name, file.getFileName(), sha256(file).substring(0, 12), trained, input, shape, padded, plain(min), plain(max),
        output, d);
    return new OnnxFeatureExtractor(file, env, session, input, output, shape, min, max, padding, o.batch(), d,
        description);
  }

  private static String pick(Path file, String what, String option, String metadata, Set<String> names) {
    String chosen = option != null ? option : metadata;
    if (chosen != null) {
      if (!names.contains(chosen)) {
        throw new FeatureExtractionException(file + ": the model has no " + what + " named '" + chosen
            + "'; its " + what + "s are " + names);
      }
      return chosen;
    }
    if (names.size() != 1) {
      throw new FeatureExtractionException(file + ": the model has " + names.size() + " " + what + "s " + names
          + "; name the feature " + what + " (option, or metadata " + PREFIX + what + ")");
    }
    return names.iterator().next();
  }

  private static int size(Path file, String what, int option, String metadata, long declared) {
    if (option > 0) {
      if (declared > 0 && declared != option) {
        throw new FeatureExtractionException(file + ": input " + what + " " + option + " was asked for, but the"
            + " model declares " + declared);
      }
      return option;
    }
    if (metadata != null) {
      try {
        return Integer.parseInt(metadata.trim());
      } catch (NumberFormatException e) {
        throw new FeatureExtractionException(file + ": metadata " + PREFIX + "size = '" + metadata
            + "' is not a whole number", e);
      }
    }
    if (declared > 0) {
      return (int) declared;
    }
    throw new FeatureExtractionException(file + ": the input " + what + " is symbolic; give it as an option"
        + " (e.g. 299 for Inception-v3) or as metadata " + PREFIX + "size");
  }

  private static double number(Path file, String key, double option, String metadata, double fallback) {
    if (!Double.isNaN(option)) {
      return option;
    }
    if (metadata != null) {
      try {
        return Double.parseDouble(metadata.trim());
      } catch (NumberFormatException e) {
        throw new FeatureExtractionException(file + ": metadata " + PREFIX + key + " = '" + metadata
            + "' is not a number", e);
      }
    }
    return fallback;
  }

  private static String plain(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  /** The SHA-256 of a file, 64 lower-case hex digits. */
  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int r; (r = in.read(buf)) > 0; ) {
        md.update(buf, 0, r);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new FeatureExtractionException(file + ": cannot read: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  public Path file() {
    return file;
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public ImageShape inputShape() {
    return inputShape;
  }

  @Override
  public double[] extract(float[] images, int n, ImageShape shape) {
    if ((long) n * shape.size() != images.length) {
      throw new IllegalArgumentException(n + " images of " + shape + " need " + (long) n * shape.size()
          + " values, got " + images.length);
    }
    double[] features = new double[n * dimension];
    for (int start = 0; start < n; start += batch) {
      int m = Math.min(batch, n - start);
      float[] x = java.util.Arrays.copyOfRange(images, start * shape.size(), (start + m) * shape.size());
      ImageShape s = shape;
      if (padding > 0 && s.height() + 2 * padding == inputShape.height()
          && s.width() + 2 * padding == inputShape.width()) {
        x = ImageTensors.pad(x, m, s, padding, -1f);
        s = new ImageShape(s.channels(), inputShape.height(), inputShape.width());
      }
      x = ImageTensors.channels(x, m, s, inputShape.channels());
      ImageShape c = new ImageShape(inputShape.channels(), s.height(), s.width());
      x = ImageTensors.resize(x, m, c, inputShape.height(), inputShape.width());
      x = ImageTensors.pixelRange(x, pixelMin, pixelMax);
      float[] f = run(x, m);
      if (f.length != m * dimension) {
        throw new FeatureExtractionException(file + ": output '" + output + "' gave " + f.length + " values for "
            + m + " images, expected " + m + " x " + dimension);
      }
      for (int i = 0; i < f.length; i++) {
        features[start * dimension + i] = f[i];
      }
    }
    return features;
  }

  private float[] run(float[] x, int n) {
    long[] dims = {n, inputShape.channels(), inputShape.height(), inputShape.width()};
    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), dims);
        OrtSession.Result r = session.run(Map.of(input, t), Set.of(output))) {
      OnnxValue v = r.get(output).orElseThrow();
      if (!(v instanceof OnnxTensor out) || out.getInfo().type != OnnxJavaType.FLOAT) {
        throw new FeatureExtractionException(file + ": output '" + output + "' is not a float32 tensor: "
            + v.getInfo());
      }
      FloatBuffer fb = out.getFloatBuffer();
      float[] result = new float[fb.remaining()];
      fb.get(result);
      return result;
    } catch (OrtException e) {
      throw new FeatureExtractionException(file + ": ONNX Runtime failed on a batch of " + n + ": "
          + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new FeatureExtractionException(file + ": closing the session failed: " + e.getMessage(), e);
    }
  }
}
