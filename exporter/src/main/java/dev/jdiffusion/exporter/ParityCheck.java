package dev.jdiffusion.exporter;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jdiffusion.trainer.unet.UNet;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * Runs the same random inputs through the DJL network and through ONNX Runtime on the exported file and
 * reports the largest absolute difference of the outputs. The default tolerance, 1e-4, is Hugging Face
 * optimum's for UNet exports.
 */
public final class ParityCheck {
  public static final double DEFAULT_TOLERANCE = 1e-4;

  /** The outcome: the largest |DJL - ORT| and the largest |output| (to show the scale). */
  public record Result(int batch, double maxAbsDifference, double maxAbsOutput) {}

  private ParityCheck() {}

  /**
   * Compares on {@code batch} inputs: {@code x ~ N(0, 1)} and timesteps uniform in {@code 0 .. T-1}.
   *
   * @param outputName the model's output
   */
  public static Result run(UNet net, Path onnx, String outputName, int timesteps, int batch, long seed)
      throws OrtException {
    UNetConfig c = net.config();
    int ch = c.imageChannels();
    int s = c.imageSize();
    Random r = new Random(seed);
    float[] x = new float[batch * ch * s * s];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    long[] t = new long[batch];
    float[] tf = new float[batch];
    for (int i = 0; i < batch; i++) {
      t[i] = r.nextInt(timesteps);
      tf[i] = t[i];
    }
    float[] expected;
    try (NDManager m = NDManager.newBaseManager()) {
      expected = net.forward(new ParameterStore(m, false),
              new NDList(m.create(x, new Shape(batch, ch, s, s)), m.create(tf, new Shape(batch))), false)
          .singletonOrThrow().toFloatArray();
    }
    float[] actual;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
        OnnxTensor xs = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, ch, s, s});
        OnnxTensor ts = OnnxTensor.createTensor(env, LongBuffer.wrap(t), new long[] {batch});
        OrtSession.Result res = session.run(Map.of("x", xs, "t", ts))) {
      FloatBuffer fb = ((OnnxTensor) res.get(outputName).orElseThrow(
          () -> new IllegalStateException(onnx + " has no output '" + outputName + "'"))).getFloatBuffer();
      actual = new float[fb.remaining()];
      fb.get(actual);
    }
    if (actual.length != expected.length) {
      throw new IllegalStateException("ONNX output has " + actual.length + " values, DJL " + expected.length);
    }
    double maxDiff = 0;
    double maxAbs = 0;
    for (int i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((double) expected[i] - actual[i]));
      maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
    }
    return new Result(batch, maxDiff, maxAbs);
  }
}
