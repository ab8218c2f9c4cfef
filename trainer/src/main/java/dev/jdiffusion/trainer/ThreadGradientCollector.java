package dev.jdiffusion.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * Records the operations of the calling thread for back-propagation, like DJL's {@code PtGradientCollector},
 * without its process-wide "one collector at a time" flag.
 *
 * <p>libtorch keeps its gradient mode per thread and back-propagates independent graphs from several threads
 * safely, but DJL 0.35's collector refuses to open while any other thread holds one. Two training runs in one
 * JVM (Spark's {@code local[N]} mode, or an executor running two tasks) then fail with "A PtGradientCollector
 * is already collecting". This collector does what DJL's does (grad mode on, {@code backward} with a seed
 * gradient of ones, the previous grad mode restored on close) for this thread only. Gradients accumulate in
 * the parameters' gradient arrays until the optimizer clears them, as with DJL's collector.
 */
final class ThreadGradientCollector implements GradientCollector {
  private final boolean previousGradMode;

  ThreadGradientCollector() {
    previousGradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
  }

  @Override
  public void backward(NDArray target) {
    NDArray seed = target.getManager().ones(target.getShape(), target.getDataType()).toDevice(target.getDevice(), false);
    JniUtils.backward((PtNDArray) target, (PtNDArray) seed, false, false);
  }

  /** Not needed by the trainer (its optimizer clears gradients); refused rather than done for every thread. */
  @Override
  public void zeroGradients() {
    throw new UnsupportedOperationException("the optimizer clears the gradients of its parameters");
  }

  @Override
  public void close() {
    if (!previousGradMode) {
      JniUtils.setGradMode(false);
    }
  }
}
