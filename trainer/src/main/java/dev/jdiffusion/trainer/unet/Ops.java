package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;

/**
 * Tensor helpers that are safe under DJL 0.35's autograd on PyTorch.
 *
 * <p>DJL's scalar arithmetic ({@code mul/div/add/sub/pow(Number)}) builds a temporary tensor over a Java
 * direct buffer and closes it while autograd still points at it; after a garbage collection backward reads
 * freed memory (DESIGN.md, "Facts about DJL 0.35"). So the network never calls them: constants are
 * tensors created in the manager of the array being computed on (the step's manager), which keeps them
 * alive until the step ends.
 */
public final class Ops {
  private Ops() {}

  /**
   * SiLU (swish with beta 1), {@code x * sigmoid(x)} (Elfwing et al. 2018): libtorch's single kernel
   * ({@link FusedOps#silu}) where the engine offers it, else {@link #siluComposed}.
   */
  public static NDArray silu(NDArray x) {
    return FusedOps.available(x) ? FusedOps.silu(x) : siluComposed(x);
  }

  /**
   * {@link #silu} of a 4-D activation that feeds a convolution: computed channels-last where the engine offers
   * it ({@link FusedOps#siluChannelsLast}), so that its backward meets the convolution's channels-last input
   * gradient in the same layout; the same values as {@link #silu}.
   */
  public static NDArray siluBeforeConv(NDArray x) {
    return FusedOps.available(x) ? FusedOps.siluChannelsLast(x) : siluComposed(x);
  }

  /**
   * {@link #silu} of {@code x}, the input of {@code conv}: {@link #siluBeforeConv(NDArray)} where that
   * convolution reads a channels-last array ({@link FusedOps#readsChannelsLast}), else {@link #silu} (NCHW).
   */
  public static NDArray siluBeforeConv(NDArray x, Conv2d conv) {
    return FusedOps.readsChannelsLast(conv, x) ? FusedOps.siluChannelsLast(x) : silu(x);
  }

  /** SiLU from DJL's own ops: two kernels forward, three to four backward. */
  static NDArray siluComposed(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /** A scalar constant (shape {@code ()}) owned by {@code like}'s manager, with {@code like}'s data type. */
  public static NDArray constant(NDArray like, float value) {
    NDManager manager = like.getManager();
    return manager.create(value).toType(like.getDataType(), false);
  }

  /**
   * {@code parameter} viewed with a new shape, attached to {@code like}'s manager so that the reshaped
   * array is freed with the step (a reshape in the parameter's own manager would leak one array per step).
   */
  public static NDArray reshapeParameter(NDArray parameter, NDArray like, long... shape) {
    NDArray r = parameter.reshape(shape);
    r.attach(like.getManager());
    return r;
  }
}
