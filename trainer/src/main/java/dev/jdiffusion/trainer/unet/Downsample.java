package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Halves the resolution: {@code y = conv(x)}, a 3x3 convolution with stride 2 and padding 1 that keeps the
 * channel count (Ho et al. 2020). Child block: {@code conv}.
 */
public final class Downsample extends AbstractBlock {
  private final int channels;
  private final Conv2d conv;

  public Downsample(int channels) {
    this.channels = channels;
    this.conv = addChildBlock("conv", Layers.conv3x3(channels, 2));
  }

  public int channels() {
    return channels;
  }

  public Conv2d conv() {
    return conv;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(Layers.forward(conv, ps, inputs.singletonOrThrow(), training));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape x = inputShapes[0];
    return new Shape[] {new Shape(x.get(0), channels, (x.get(2) + 1) / 2, (x.get(3) + 1) / 2)};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    conv.initialize(manager, dataType, inputShapes[0]);
  }
}
