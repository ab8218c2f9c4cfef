package dev.jdiffusion.core.model;

import dev.jdiffusion.core.Limits;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What an exported denoiser carries in its ONNX {@code metadata_props}, so that any runtime can sample it
 * without this framework. All keys start with {@code jdiffusion.}; values are strings.
 *
 * <table>
 *   <caption>Keys (format version 1)</caption>
 *   <tr><th>key</th><th>value</th></tr>
 *   <tr><td>{@code jdiffusion.format_version}</td><td>{@code 1}</td></tr>
 *   <tr><td>{@code jdiffusion.framework_version}</td><td>the jdiffusion version that wrote the file</td></tr>
 *   <tr><td>{@code jdiffusion.parameterization}</td><td>id of what the output is, e.g. {@code eps}, {@code x0}, {@code v};
 *       the model's output tensor has this name</td></tr>
 *   <tr><td>{@code jdiffusion.timesteps}</td><td>T</td></tr>
 *   <tr><td>{@code jdiffusion.timestep_input}</td><td>how input {@code t} is given: {@code int64 index 0..T-1}</td></tr>
 *   <tr><td>{@code jdiffusion.alphabar}</td><td>the full alphabar table, T doubles, little-endian IEEE-754
 *       binary64, base64 (RFC 4648) encoded; see {@code jdiffusion.table_encoding}</td></tr>
 *   <tr><td>{@code jdiffusion.x0_from_xt}, {@code .x0_from_output}, {@code .eps_from_xt},
 *       {@code .eps_from_output}</td><td>the parameterization's estimate coefficients per timestep, same
 *       encoding: {@code x0_hat = x0_from_xt[t] * x_t + x0_from_output[t] * output}, likewise eps_hat</td></tr>
 *   <tr><td>{@code jdiffusion.table_encoding}</td><td>{@code base64-float64-le}</td></tr>
 *   <tr><td>{@code jdiffusion.schedule}</td><td>the schedule's configuration as JSON, e.g.
 *       {@code {"name":"cosine","s":0.008,"maxBeta":0.999,"timesteps":1000}}</td></tr>
 *   <tr><td>{@code jdiffusion.image.channels}, {@code .height}, {@code .width}</td><td>the image shape</td></tr>
 *   <tr><td>{@code jdiffusion.pixel.min}, {@code .max}</td><td>the data range the model was trained on: -1 and 1</td></tr>
 *   <tr><td>{@code jdiffusion.weighter}</td><td>the weighter's configuration as JSON</td></tr>
 *   <tr><td>{@code jdiffusion.dataset}</td><td>the dataset's configuration as JSON</td></tr>
 *   <tr><td>{@code jdiffusion.training_step}</td><td>the optimizer step the weights come from</td></tr>
 *   <tr><td>{@code jdiffusion.weights}</td><td>{@code ema} or {@code raw}</td></tr>
 *   <tr><td>{@code jdiffusion.quantization}</td><td>only in a quantized model: {@code int8} (convolutions in
 *       ONNX QDQ form, see the exporter's {@code QdqRewrite}); absent in a float32 model</td></tr>
 *   <tr><td>{@code jdiffusion.quantization.calibration}</td><td>only in a quantized model: which inputs the
 *       activation ranges come from</td></tr>
 * </table>
 */
public record ModelMetadata(
    String frameworkVersion,
    String parameterization,
    double[] alphabar,
    double[][] estimateCoefficients,
    String scheduleJson,
    ImageShape imageShape,
    double pixelMin,
    double pixelMax,
    String weighterJson,
    String datasetJson,
    long trainingStep,
    String weights) {

  public static final String PREFIX = "jdiffusion.";
  public static final int FORMAT_VERSION = 1;
  public static final String TABLE_ENCODING = "base64-float64-le";
  public static final String TIMESTEP_INPUT = "int64 index 0..T-1";
  private static final String[] COEFFICIENT_KEYS = {"x0_from_xt", "x0_from_output", "eps_from_xt", "eps_from_output"};

  public ModelMetadata {
    Objects.requireNonNull(parameterization, "parameterization");
    Objects.requireNonNull(alphabar, "alphabar");
    Objects.requireNonNull(imageShape, "imageShape");
    if (estimateCoefficients.length != 4) {
      throw new IllegalArgumentException("estimateCoefficients needs 4 tables, got " + estimateCoefficients.length);
    }
    for (double[] table : estimateCoefficients) {
      if (table.length != alphabar.length) {
        throw new IllegalArgumentException(
            "coefficient tables must have T = " + alphabar.length + " entries, got " + table.length);
      }
    }
  }

  /** The number of timesteps T. */
  public int timesteps() {
    return alphabar.length;
  }

  /** The estimate coefficients of a parameterization on a schedule, as the four tables stored here. */
  public static double[][] coefficientTables(NoiseSchedule schedule, Parameterization p) {
    int n = schedule.timesteps();
    double[][] tables = new double[4][n];
    for (int t = 0; t < n; t++) {
      Coefficients c = p.coefficients(schedule, t);
      tables[0][t] = c.x0FromXt();
      tables[1][t] = c.x0FromOutput();
      tables[2][t] = c.epsFromXt();
      tables[3][t] = c.epsFromOutput();
    }
    return tables;
  }

  /** {@code x0_hat = x0FromXt(t) x_t + x0FromOutput(t) output}. */
  public double x0FromXt(int t) {
    return estimateCoefficients[0][t];
  }

  public double x0FromOutput(int t) {
    return estimateCoefficients[1][t];
  }

  /** {@code eps_hat = epsFromXt(t) x_t + epsFromOutput(t) output}. */
  public double epsFromXt(int t) {
    return estimateCoefficients[2][t];
  }

  public double epsFromOutput(int t) {
    return estimateCoefficients[3][t];
  }

  /** The key/value pairs to write as ONNX {@code metadata_props}, in a stable order. */
  public Map<String, String> toProperties() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PREFIX + "format_version", Integer.toString(FORMAT_VERSION));
    m.put(PREFIX + "framework_version", frameworkVersion);
    m.put(PREFIX + "parameterization", parameterization);
    m.put(PREFIX + "timesteps", Integer.toString(timesteps()));
    m.put(PREFIX + "timestep_input", TIMESTEP_INPUT);
    m.put(PREFIX + "table_encoding", TABLE_ENCODING);
    m.put(PREFIX + "alphabar", encode(alphabar));
    for (int i = 0; i < 4; i++) {
      m.put(PREFIX + COEFFICIENT_KEYS[i], encode(estimateCoefficients[i]));
    }
    m.put(PREFIX + "schedule", scheduleJson);
    m.put(PREFIX + "image.channels", Integer.toString(imageShape.channels()));
    m.put(PREFIX + "image.height", Integer.toString(imageShape.height()));
    m.put(PREFIX + "image.width", Integer.toString(imageShape.width()));
    m.put(PREFIX + "pixel.min", Double.toString(pixelMin));
    m.put(PREFIX + "pixel.max", Double.toString(pixelMax));
    m.put(PREFIX + "weighter", weighterJson);
    m.put(PREFIX + "dataset", datasetJson);
    m.put(PREFIX + "training_step", Long.toString(trainingStep));
    m.put(PREFIX + "weights", weights);
    return m;
  }

  /**
   * Reads the properties of a model file.
   *
   * @param source the file, for messages
   * @throws IllegalArgumentException naming the missing or malformed key
   */
  public static ModelMetadata fromProperties(String source, Map<String, String> props) {
    String version = get(source, props, "format_version");
    if (!version.equals(Integer.toString(FORMAT_VERSION))) {
      throw new IllegalArgumentException(source + ": metadata format_version " + version
          + " is not supported by this reader (it reads version " + FORMAT_VERSION + ")");
    }
    String encoding = get(source, props, "table_encoding");
    if (!encoding.equals(TABLE_ENCODING)) {
      throw new IllegalArgumentException(
          source + ": table_encoding '" + encoding + "' is not supported; expected " + TABLE_ENCODING);
    }
    int timesteps = integer(source, props, "timesteps");
    if (timesteps < 2 || timesteps > Limits.MAX_TIMESTEPS) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + "timesteps = " + timesteps
          + " is not allowed: must be in [2, " + Limits.MAX_TIMESTEPS + "]");
    }
    double[] alphabar = decode(source, props, "alphabar", timesteps);
    for (int t = 0; t < timesteps; t++) {
      // alphabar is a product of (1 - beta) with beta in (0, 1]: in [0, 1] and never increasing
      if (!(alphabar[t] >= 0 && alphabar[t] <= 1) || t > 0 && alphabar[t] > alphabar[t - 1]) {
        throw new IllegalArgumentException(source + ": metadata " + PREFIX + "alphabar[" + t + "] = "
            + alphabar[t] + " is not allowed: must be in [0, 1] and not above alphabar[t - 1]");
      }
    }
    double[][] coefficients = new double[4][];
    for (int i = 0; i < 4; i++) {
      coefficients[i] = decode(source, props, COEFFICIENT_KEYS[i], timesteps);
      for (int t = 0; t < timesteps; t++) {
        if (Double.isNaN(coefficients[i][t])) {
          throw new IllegalArgumentException(source + ": metadata " + PREFIX + COEFFICIENT_KEYS[i] + "[" + t
              + "] is NaN");
        }
      }
    }
    ImageShape shape;
    try {
      shape = new ImageShape(integer(source, props, "image.channels"), integer(source, props, "image.height"),
          integer(source, props, "image.width"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + "image.*: " + e.getMessage(), e);
    }
    if (shape.height() > Limits.MAX_IMAGE_SIDE || shape.width() > Limits.MAX_IMAGE_SIDE || shape.channels() > 4) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + "image.* " + shape
          + " is not allowed: at most 4 channels and " + Limits.MAX_IMAGE_SIDE + " pixels a side");
    }
    double pixelMin = number(source, props, "pixel.min");
    double pixelMax = number(source, props, "pixel.max");
    if (!(Double.isFinite(pixelMin) && Double.isFinite(pixelMax) && pixelMin < pixelMax)) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + "pixel.min = " + pixelMin + ", "
          + PREFIX + "pixel.max = " + pixelMax + " are not allowed: finite, with min < max");
    }
    return new ModelMetadata(
        props.getOrDefault(PREFIX + "framework_version", "unknown"),
        get(source, props, "parameterization"),
        alphabar,
        coefficients,
        get(source, props, "schedule"),
        shape,
        pixelMin,
        pixelMax,
        props.getOrDefault(PREFIX + "weighter", "{}"),
        props.getOrDefault(PREFIX + "dataset", "{}"),
        longValue(source, props, "training_step"),
        props.getOrDefault(PREFIX + "weights", "unknown"));
  }

  static String encode(double[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      b.putDouble(v);
    }
    return Base64.getEncoder().encodeToString(b.array());
  }

  private static double[] decode(String source, Map<String, String> props, String key, int expected) {
    String text = get(source, props, key);
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + key + " is not valid base64: " + e.getMessage(), e);
    }
    if (bytes.length != expected * Double.BYTES) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + key + " holds " + bytes.length
          + " bytes; expected " + expected * Double.BYTES + " (T = " + expected + " float64 values)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    double[] out = new double[expected];
    for (int i = 0; i < expected; i++) {
      out[i] = b.getDouble();
    }
    return out;
  }

  private static String get(String source, Map<String, String> props, String key) {
    String v = props.get(PREFIX + key);
    if (v == null) {
      throw new IllegalArgumentException(source + ": metadata key " + PREFIX + key
          + " is missing; is this a model exported by jdiffusion?");
    }
    return v;
  }

  private static int integer(String source, Map<String, String> props, String key) {
    String v = get(source, props, key);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + key + " = '" + v + "' is not an integer", e);
    }
  }

  private static long longValue(String source, Map<String, String> props, String key) {
    String v = props.getOrDefault(PREFIX + key, "0");
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + key + " = '" + v + "' is not an integer", e);
    }
  }

  private static double number(String source, Map<String, String> props, String key) {
    String v = get(source, props, key);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + ": metadata " + PREFIX + key + " = '" + v + "' is not a number", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelMetadata m
        && java.util.Arrays.equals(alphabar, m.alphabar)
        && java.util.Arrays.deepEquals(estimateCoefficients, m.estimateCoefficients)
        && toProperties().equals(m.toProperties());
  }

  @Override
  public int hashCode() {
    return toProperties().hashCode();
  }

  @Override
  public String toString() {
    return "ModelMetadata[" + parameterization + ", T = " + timesteps() + ", " + imageShape + ", step " + trainingStep + "]";
  }
}
