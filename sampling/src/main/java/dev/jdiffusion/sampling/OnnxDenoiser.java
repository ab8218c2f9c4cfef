package dev.jdiffusion.sampling;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.sampler.Denoiser;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * An exported denoiser opened in ONNX Runtime: inputs {@code x} float32 [N, C, H, W] and {@code t} int64
 * [N] (timestep indices), one output named after the parameterization. Everything a sampler needs (the
 * alphabar table, the estimate coefficients, the image shape) comes from the model's metadata.
 */
public final class OnnxDenoiser implements Denoiser, AutoCloseable {
  private final OrtEnvironment env;
  private final OrtSession session;
  private final ModelMetadata metadata;
  private final Path file;

  private OnnxDenoiser(Path file, OrtEnvironment env, OrtSession session, ModelMetadata metadata) {
    this.file = file;
    this.env = env;
    this.session = session;
    this.metadata = metadata;
  }

  /**
   * Opens a model file.
   *
   * @param threads intra-op threads for ONNX Runtime (the machine's cores is a good choice)
   * @throws IllegalArgumentException naming the file when it is missing, not an ONNX model ONNX Runtime can
   *     load, or not a jdiffusion model (metadata, inputs, or image shapes that disagree with the metadata)
   */
  public static OnnxDenoiser open(Path file, int threads) throws OrtException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such model file");
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(threads);
    options.setInterOpNumThreads(1);
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    OrtSession session;
    try {
      session = env.createSession(file.toString(), options);
    } catch (OrtException e) {
      // an empty, truncated or foreign file: ONNX Runtime cannot parse or check the graph
      throw new IllegalArgumentException(file + ": not a readable ONNX model (ONNX Runtime: "
          + firstLine(e.getMessage()) + ")", e);
    }
    try {
      ModelMetadata metadata =
          ModelMetadata.fromProperties(file.toString(), session.getMetadata().getCustomMetadata());
      if (!session.getInputNames().containsAll(java.util.List.of("x", "t"))) {
        throw new IllegalArgumentException(file + ": expected inputs 'x' and 't', found " + session.getInputNames());
      }
      checkShape(file, "input 'x'", session.getInputInfo().get("x"), metadata.imageShape());
      if (session.getNumOutputs() != 1) {
        throw new IllegalArgumentException(file + ": expected one output, found " + session.getOutputNames());
      }
      checkShape(file, "output '" + session.getOutputNames().iterator().next() + "'",
          session.getOutputInfo().values().iterator().next(), metadata.imageShape());
      return new OnnxDenoiser(file, env, session, metadata);
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  /**
   * The graph's image tensor must be float [N, C, H, W] with the metadata's C, H and W where the graph
   * fixes them (a dimension the graph leaves symbolic is not checked).
   */
  private static void checkShape(Path file, String what, ai.onnxruntime.NodeInfo node, ImageShape expected) {
    if (!(node.getInfo() instanceof ai.onnxruntime.TensorInfo info)) {
      throw new IllegalArgumentException(file + ": " + what + " is not a tensor");
    }
    long[] dims = info.getShape();
    long[] want = {-1, expected.channels(), expected.height(), expected.width()};
    boolean ok = dims.length == 4 && info.type == ai.onnxruntime.OnnxJavaType.FLOAT;
    for (int i = 1; ok && i < 4; i++) {
      ok = dims[i] < 0 || dims[i] == want[i];
    }
    if (!ok) {
      throw new IllegalArgumentException(file + ": " + what + " is " + info.type + " "
          + java.util.Arrays.toString(dims) + " but the metadata describes images of " + expected
          + " (float [N, " + expected.channels() + ", " + expected.height() + ", " + expected.width() + "])");
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl);
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public ImageShape shape() {
    return metadata.imageShape();
  }

  public Path file() {
    return file;
  }

  /**
   * One network evaluation.
   *
   * @param x {@code n} images, NCHW
   * @param t the timestep index of each image
   * @return the network output, same layout as {@code x}
   */
  @Override
  public float[] predict(float[] x, long[] t) throws OrtException {
    int n = t.length;
    ImageShape s = shape();
    long[] dims = {n, s.channels(), s.height(), s.width()};
    try (OnnxTensor xs = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), dims);
        OnnxTensor ts = OnnxTensor.createTensor(env, LongBuffer.wrap(t), new long[] {n});
        OrtSession.Result r = session.run(Map.of("x", xs, "t", ts))) {
      OnnxTensor out = (OnnxTensor) r.get(0);
      FloatBuffer fb = out.getFloatBuffer();
      float[] result = new float[fb.remaining()];
      fb.get(result);
      return result;
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
