package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Doubles the resolution (Ho et al. 2020). Op order: {@code u = nearest(x, (2H, 2W))} (each pixel copied to
 * a 2x2 block: ONNX {@code Resize} mode nearest, coordinate transformation asymmetric, nearest mode floor),
 * then {@code y = conv(u)}, a 3x3 convolution with padding 1 that keeps the channel count. Child block:
 * {@code conv}.
 */
public final class Upsample extends AbstractBlock {
  private final int channels;
  private final Conv2d conv;

  public Upsample(int channels) {
    this.channels = channels;
    this.conv = addChildBlock("conv", Layers.conv3x3(channels, 1));
  }

  public int channels() {
    return channels;
  }

  public Conv2d conv() {
    return conv;
  }

  /** Nearest-neighbour upsampling by 2 of an {@code (B, C, H, W)} array. */
  public static NDArray nearest2x(NDArray x) {
    Shape s = x.getShape();
    return x.getNDArrayInternal().interpolation(new long[] {s.get(2) * 2, s.get(3) * 2}, 0, false);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(Layers.forward(conv, ps, nearest2x(inputs.singletonOrThrow()), training));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape x = inputShapes[0];
    return new Shape[] {new Shape(x.get(0), channels, x.get(2) * 2, x.get(3) * 2)};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape x = inputShapes[0];
    conv.initialize(manager, dataType, new Shape(x.get(0), x.get(1), x.get(2) * 2, x.get(3) * 2));
  }
}
