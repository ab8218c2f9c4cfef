package dev.jdiffusion.exporter.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Post-training int8 quantization of an exported denoiser, in ONNX Runtime: calibrate the activation ranges
 * by running the float32 model on representative inputs (noised images {@code x_t} at timesteps spread over
 * the schedule), then {@link QdqRewrite rewrite} the graph into QDQ form. The ranges are the minimum and
 * maximum each convolution's input and output took over all calibration images.
 */
public final class Int8Quantizer {
  /** Images per ONNX Runtime call during calibration (every observed tensor of a batch is held at once). */
  public static final int CALIBRATION_BATCH = 8;

  private Int8Quantizer() {}

  /**
   * The quantized model and what was done.
   *
   * @param quantized the convolutions quantized
   * @param convolutions all convolutions of the graph
   */
  public record Result(ModelProto model, int quantized, int convolutions, Map<String, ActivationRange> ranges) {}

  /** How closely two models agree on the same inputs. */
  public record Agreement(int images, double maxAbsDifference, double rmsDifference, double rmsReference) {}

  /**
   * Calibrates on {@code calibration} and rewrites.
   *
   * @param metadata further {@code metadata_props} for the quantized model
   */
  public static Result quantize(ModelProto fp32, ModelInputs calibration, Map<String, String> metadata)
      throws OrtException {
    Map<String, ActivationRange> ranges = calibrate(fp32, calibration);
    long convs = fp32.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).count();
    return new Result(QdqRewrite.rewrite(fp32, ranges, metadata),
        QdqRewrite.quantizedConvolutions(fp32.getGraph()).size(), (int) convs, ranges);
  }

  /** The range of every {@link QdqRewrite#observedTensors observed tensor} over the inputs. */
  public static Map<String, ActivationRange> calibrate(ModelProto fp32, ModelInputs inputs) throws OrtException {
    Set<String> observed = QdqRewrite.observedTensors(fp32.getGraph());
    Map<String, ActivationRange> ranges = new LinkedHashMap<>();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(QdqRewrite.observing(fp32).toByteArray(), options)) {
      inBatches(env, session, inputs, observed, (r, from, to) -> {
        for (Map.Entry<String, OnnxValue> e : r) {
          FloatBuffer f = ((OnnxTensor) e.getValue()).getFloatBuffer();
          float lo = Float.POSITIVE_INFINITY;
          float hi = Float.NEGATIVE_INFINITY;
          while (f.hasRemaining()) {
            float v = f.get();
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
          ranges.merge(e.getKey(), new ActivationRange(lo, hi), ActivationRange::union);
        }
      });
    }
    return ranges;
  }

  /** {@code other}'s output against {@code reference}'s on the same inputs, both in ONNX Runtime. */
  public static Agreement compare(ModelProto reference, ModelProto other, String output, ModelInputs inputs)
      throws OrtException {
    float[] a = run(reference, output, inputs);
    float[] b = run(other, output, inputs);
    double max = 0;
    double sum = 0;
    double ref = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      max = Math.max(max, Math.abs(d));
      sum += d * d;
      ref += (double) a[i] * a[i];
    }
    return new Agreement(inputs.size(), max, Math.sqrt(sum / a.length), Math.sqrt(ref / a.length));
  }

  /** The model's output on the inputs, all images in order, flattened (ONNX Runtime, all graph optimizations). */
  public static float[] run(ModelProto model, String output, ModelInputs inputs) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    FloatBuffer[] out = new FloatBuffer[1];
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (OrtSession session = env.createSession(model.toByteArray(), options)) {
        inBatches(env, session, inputs, Set.of(output), (r, from, to) -> {
          FloatBuffer f = ((OnnxTensor) r.get(0)).getFloatBuffer();
          if (out[0] == null) {
            out[0] = FloatBuffer.allocate(f.remaining() / (to - from) * inputs.size());
          }
          out[0].put(f);
        });
      }
    }
    return out[0].array();
  }

  /** What {@link #inBatches} does with each batch's result (images {@code from} to {@code to - 1}). */
  private interface BatchResult {
    void accept(OrtSession.Result result, int from, int to) throws OrtException;
  }

  /** Runs {@code session} for {@code outputs} on the inputs, {@link #CALIBRATION_BATCH} images at a time. */
  private static void inBatches(OrtEnvironment env, OrtSession session, ModelInputs inputs, Set<String> outputs,
      BatchResult each) throws OrtException {
    for (int from = 0; from < inputs.size(); from += CALIBRATION_BATCH) {
      int to = Math.min(inputs.size(), from + CALIBRATION_BATCH);
      try (Batch b = new Batch(env, inputs, from, to);
          OrtSession.Result r = session.run(b.feed(), outputs)) {
        each.accept(r, from, to);
      }
    }
  }

  /**
   * The operators of the graph ONNX Runtime runs after its optimizations (all levels), counted by
   * {@code domain:op_type} ({@code ai.onnx} for the default domain): shows whether the QDQ groups were fused,
   * e.g. into {@code com.microsoft:QLinearConv}. The optimized model goes to a temporary file, deleted
   * afterwards.
   */
  public static Map<String, Integer> optimizedOperators(ModelProto model) throws OrtException, IOException {
    Path file = Files.createTempFile("jdiffusion-optimized", ".onnx");
    try {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setOptimizedModelFilePath(file.toString());
        // ONNX Runtime warns that the file may hold hardware-specific operators: it is only read here
        options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        // the optimized graph is written when the session is created
        env.createSession(model.toByteArray(), options).close();
      }
      ModelProto optimized;
      try (InputStream in = Files.newInputStream(file)) {
        optimized = ModelProto.parseFrom(in);
      }
      Map<String, Integer> counts = new TreeMap<>();
      for (NodeProto n : optimized.getGraph().getNodeList()) {
        counts.merge((n.getDomain().isEmpty() ? "ai.onnx" : n.getDomain()) + ":" + n.getOpType(), 1, Integer::sum);
      }
      return counts;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Images {@code from .. to-1} as the model's two input tensors. */
  private static final class Batch implements AutoCloseable {
    private final OnnxTensor x;
    private final OnnxTensor t;

    Batch(OrtEnvironment env, ModelInputs in, int from, int to) throws OrtException {
      int per = in.shape().size();
      long[] shape = {to - from, in.shape().channels(), in.shape().height(), in.shape().width()};
      x = OnnxTensor.createTensor(env, FloatBuffer.wrap(Arrays.copyOfRange(in.x(), from * per, to * per)), shape);
      t = OnnxTensor.createTensor(env, LongBuffer.wrap(Arrays.copyOfRange(in.t(), from, to)), new long[] {to - from});
    }

    Map<String, OnnxTensor> feed() {
      Map<String, OnnxTensor> m = new HashMap<>();
      m.put("x", x);
      m.put("t", t);
      return m;
    }

    @Override
    public void close() {
      x.close();
      t.close();
    }
  }
}
