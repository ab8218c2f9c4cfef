package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

/** Factories for the standard DJL layers the UNet uses, and a one-array forward. */
final class Layers {
  private Layers() {}

  /** 3x3 convolution, padding 1, stride 1 (or 2 for downsampling), with bias. */
  static Conv2d conv3x3(int filters, int stride) {
    return Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(filters)
        .optPadding(new Shape(1, 1)).optStride(new Shape(stride, stride)).build();
  }

  /** 1x1 convolution with bias. */
  static Conv2d conv1x1(int filters) {
    return Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(filters).build();
  }

  /** Fully connected layer with bias. */
  static Linear linear(int units) {
    return Linear.builder().setUnits(units).build();
  }

  /** {@code block}'s output for the single input {@code x}; convolutions run through {@link FusedOps#conv2d},
   * linear layers in the current {@link Autocast} compute type. */
  static NDArray forward(Block block, ParameterStore ps, NDArray x, boolean training) {
    if (block instanceof Conv2d conv) {
      return FusedOps.conv2d(conv, ps, x, training);
    }
    if (block instanceof Linear linear) {
      return FusedOps.linear(linear, ps, x, training);
    }
    return block.forward(ps, new NDList(x), training).singletonOrThrow();
  }
}
