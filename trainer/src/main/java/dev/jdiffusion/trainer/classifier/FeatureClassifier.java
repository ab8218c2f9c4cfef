package dev.jdiffusion.trainer.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.jdiffusion.trainer.unet.FusedOps;

/**
 * A small image classifier whose penultimate layer serves as the feature space for FID on small
 * grayscale images (Fashion-MNIST), where the standard Inception-v3 features are neither available offline
 * nor meaningful at 28x28. FIDs computed with it are comparable only with each other.
 *
 * <p>Input {@code (B, C, S, S)} in {@code [-1, 1]}, {@code S} divisible by 4. Op order:
 * <ol>
 *   <li>{@code h = maxpool2(relu(conv2(relu(conv1(x)))))}: 3x3 convs (padding 1) to {@code width}
 *   <li>{@code h = maxpool2(relu(conv4(relu(conv3(h)))))}: 3x3 convs to {@code 2 width}
 *   <li>{@code features = relu(fc1(flatten(h)))}: linear to {@code featureDim}
 *   <li>{@code logits = fc2(features)}: linear to {@code classes}
 * </ol>
 * Child blocks: {@code conv1, conv2, conv3, conv4, fc1, fc2}.
 */
public final class FeatureClassifier extends AbstractBlock {
  private final int channels;
  private final int size;
  private final int width;
  private final int featureDim;
  private final int classes;
  private final Conv2d conv1;
  private final Conv2d conv2;
  private final Conv2d conv3;
  private final Conv2d conv4;
  private final Linear fc1;
  private final Linear fc2;

  public FeatureClassifier(int channels, int size, int width, int featureDim, int classes) {
    if (size % 4 != 0) {
      throw new IllegalArgumentException("classifier input size must be divisible by 4, got " + size);
    }
    this.channels = channels;
    this.size = size;
    this.width = width;
    this.featureDim = featureDim;
    this.classes = classes;
    this.conv1 = addChildBlock("conv1", conv(width));
    this.conv2 = addChildBlock("conv2", conv(width));
    this.conv3 = addChildBlock("conv3", conv(2 * width));
    this.conv4 = addChildBlock("conv4", conv(2 * width));
    this.fc1 = addChildBlock("fc1", Linear.builder().setUnits(featureDim).build());
    this.fc2 = addChildBlock("fc2", Linear.builder().setUnits(classes).build());
  }

  private static Conv2d conv(int filters) {
    return Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(filters).build();
  }

  public int channels() {
    return channels;
  }

  public int size() {
    return size;
  }

  public int featureDim() {
    return featureDim;
  }

  public int classes() {
    return classes;
  }

  public Conv2d conv1() {
    return conv1;
  }

  public Conv2d conv2() {
    return conv2;
  }

  public Conv2d conv3() {
    return conv3;
  }

  public Conv2d conv4() {
    return conv4;
  }

  public Linear fc1() {
    return fc1;
  }

  public Linear fc2() {
    return fc2;
  }

  /** Outputs {@code (features, logits)}. */
  @Override
  protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow();
    NDArray h = block(ps, conv2, block(ps, conv1, x, training), training);
    h = Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
    h = block(ps, conv4, block(ps, conv3, h, training), training);
    h = Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
    NDArray flat = h.reshape(h.getShape().get(0), -1);
    NDArray features = Activation.relu(fc1.forward(ps, new NDList(flat), training).singletonOrThrow());
    NDArray logits = fc2.forward(ps, new NDList(features), training).singletonOrThrow();
    return new NDList(features, logits);
  }

  private static NDArray block(ParameterStore ps, Conv2d conv, NDArray x, boolean training) {
    return Activation.relu(FusedOps.conv2d(conv, ps, x, training));
  }

  private long flatSize() {
    return 2L * width * (size / 4) * (size / 4);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    long b = inputShapes[0].get(0);
    return new Shape[] {new Shape(b, featureDim), new Shape(b, classes)};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    long b = inputShapes[0].get(0);
    conv1.initialize(manager, dataType, new Shape(b, channels, size, size));
    conv2.initialize(manager, dataType, new Shape(b, width, size, size));
    conv3.initialize(manager, dataType, new Shape(b, width, size / 2, size / 2));
    conv4.initialize(manager, dataType, new Shape(b, 2 * width, size / 2, size / 2));
    fc1.initialize(manager, dataType, new Shape(b, flatSize()));
    fc2.initialize(manager, dataType, new Shape(b, featureDim));
  }
}
