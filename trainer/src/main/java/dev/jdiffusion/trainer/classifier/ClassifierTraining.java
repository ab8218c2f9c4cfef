package dev.jdiffusion.trainer.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.jdiffusion.core.data.Batch;
import dev.jdiffusion.core.data.BatchLoader;
import dev.jdiffusion.spi.dataset.DatasetSource;
import java.util.Iterator;
import java.util.function.LongConsumer;

/**
 * Trains a {@link FeatureClassifier} with Adam on softmax cross-entropy and measures its test accuracy.
 * The loss is written with tensor ops only (log-softmax, a one-hot product, mean), keeping clear of DJL's
 * scalar arithmetic, which is unsafe under autograd on this engine (DESIGN.md).
 */
public final class ClassifierTraining {
  private ClassifierTraining() {}

  /** A trained classifier and its accuracy on the test split. */
  public record Result(FeatureClassifier network, double testAccuracy, long steps) {}

  /**
   * Trains for {@code epochs} passes over {@code train}, then scores on {@code test}.
   *
   * @param manager owns the network's parameters; keep it open while the network is used
   * @param onStep called with the step number after each optimizer step
   */
  public static Result train(NDManager manager, DatasetSource train, DatasetSource test, int classes,
      int epochs, int batchSize, float lr, long seed, LongConsumer onStep) {
    var shape = train.shape();
    if (shape.height() != shape.width()) {
      throw new IllegalArgumentException("the classifier needs square images, got " + shape);
    }
    FeatureClassifier net = new FeatureClassifier(shape.channels(), shape.height(), 32, 128, classes);
    net.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
    manager.getEngine().setRandomSeed((int) seed);
    net.initialize(manager, DataType.FLOAT32, new Shape(batchSize, shape.channels(), shape.height(), shape.width()));
    for (var p : net.getParameters()) {
      p.getValue().getArray().setRequiresGradient(true);
    }
    Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(lr)).build();
    BatchLoader loader = BatchLoader.builder(train).setBatchSize(batchSize).optSeed(seed).optDropLast(true).build();
    ParameterStore ps = new ParameterStore(manager, false);
    long step = 0;
    {
      for (int epoch = 0; epoch < epochs; epoch++) {
        for (Iterator<Batch> it = loader.epoch(epoch); it.hasNext(); ) {
          Batch b = it.next();
          try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(b.pixels(), new Shape(b.nchw()));
            NDArray oneHot = scope.create(oneHot(b.labels(), classes), new Shape(b.size(), classes));
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
              NDArray logits = net.forward(ps, new NDList(x), true).get(1);
              NDArray loss = logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).neg().mean();
              gc.backward(loss);
            }
            for (var p : net.getParameters()) {
              NDArray w = p.getValue().getArray();
              adam.update(p.getValue().getId(), w, w.getGradient());
            }
            step++;
            onStep.accept(step);
          }
        }
      }
    }
    return new Result(net, accuracy(manager, net, test, batchSize), step);
  }

  /** Fraction of {@code data} whose arg-max logit is the label. */
  public static double accuracy(NDManager manager, FeatureClassifier net, DatasetSource data, int batchSize) {
    BatchLoader loader = BatchLoader.builder(data).setBatchSize(batchSize).optShuffle(false).optDropLast(false)
        .build();
    long correct = 0;
    long total = 0;
    ParameterStore ps = new ParameterStore(manager, false);
    for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
      Batch b = it.next();
      try (NDManager m = manager.newSubManager()) {
        NDArray logits = net.forward(ps, new NDList(m.create(b.pixels(), new Shape(b.nchw()))), false).get(1);
        long[] predicted = logits.argMax(1).toType(DataType.INT64, false).toLongArray();
        for (int i = 0; i < b.size(); i++) {
          if (predicted[i] == b.labels()[i]) {
            correct++;
          }
        }
        total += b.size();
      }
    }
    return (double) correct / total;
  }

  private static float[] oneHot(int[] labels, int classes) {
    float[] out = new float[labels.length * classes];
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside 0.." + (classes - 1));
      }
      out[i * classes + labels[i]] = 1;
    }
    return out;
  }
}
