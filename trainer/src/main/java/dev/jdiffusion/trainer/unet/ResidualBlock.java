package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Optional;

/**
 * The residual block of Ho et al. (2020, "Denoising Diffusion Probabilistic Models", appendix B; the
 * Wide-ResNet block with GroupNorm and a timestep projection).
 *
 * <p>Inputs {@code (x: (B, Cin, H, W), tembAct: (B, E))}, where {@code tembAct = silu(temb)}. Op order:
 * <ol>
 *   <li>{@code h = conv1(silu(norm1(x)))}: {@link GroupNorm} over {@code Cin}, SiLU, 3x3 conv to {@code Cout}
 *   <li>{@code h = h + reshape(tembProj(tembAct), (B, Cout, 1, 1))}: linear {@code E -> Cout}
 *   <li>{@code h = conv2(dropout(silu(norm2(h))))}: GroupNorm over {@code Cout}, SiLU, dropout (only when
 *       the rate is above 0 and training), 3x3 conv
 *   <li>{@code y = skip(x) + h}, where {@code skip} is a 1x1 conv when {@code Cin != Cout}, else identity
 * </ol>
 * In a bfloat16 {@link Autocast} scope on the CPU, where both 3x3 convolutions take libtorch's NCHW route, the
 * block runs as one call that keeps the activations between the two convolutions in bfloat16 ({@link
 * FusedOps#residualBlock}); elsewhere op by op.
 * Child blocks, in this order: {@code norm1, conv1, temb_proj, norm2}, {@code dropout} (only when the rate
 * is above 0; it has no parameters), {@code conv2} and, when the channel count changes, {@code skip}.
 */
public final class ResidualBlock extends AbstractBlock {
  private final int inChannels;
  private final int outChannels;
  private final int embeddingDim;
  private final float dropoutRate;
  private final GroupNorm norm1;
  private final Conv2d conv1;
  private final Linear tembProj;
  private final GroupNorm norm2;
  private final Dropout dropout;
  private final Conv2d conv2;
  private final Conv2d skip;

  public ResidualBlock(int inChannels, int outChannels, int embeddingDim, float dropoutRate) {
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.embeddingDim = embeddingDim;
    this.dropoutRate = dropoutRate;
    this.norm1 = addChildBlock("norm1", GroupNorm.standard(inChannels));
    this.conv1 = addChildBlock("conv1", Layers.conv3x3(outChannels, 1));
    this.tembProj = addChildBlock("temb_proj", Layers.linear(outChannels));
    this.norm2 = addChildBlock("norm2", GroupNorm.standard(outChannels));
    this.dropout =
        dropoutRate > 0 ? addChildBlock("dropout", Dropout.builder().optRate(dropoutRate).build()) : null;
    this.conv2 = addChildBlock("conv2", Layers.conv3x3(outChannels, 1));
    this.skip = inChannels != outChannels ? addChildBlock("skip", Layers.conv1x1(outChannels)) : null;
  }

  public int inChannels() {
    return inChannels;
  }

  public int outChannels() {
    return outChannels;
  }

  public float dropoutRate() {
    return dropoutRate;
  }

  public GroupNorm norm1() {
    return norm1;
  }

  public Conv2d conv1() {
    return conv1;
  }

  public Linear tembProj() {
    return tembProj;
  }

  public GroupNorm norm2() {
    return norm2;
  }

  public Conv2d conv2() {
    return conv2;
  }

  /** The 1x1 shortcut convolution, present when the channel count changes. */
  public Optional<Conv2d> skip() {
    return Optional.ofNullable(skip);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.get(0);
    NDArray tembAct = inputs.get(1);
    Autocast.ComputeType type = Autocast.current();
    if ((dropout == null || !training) && FusedOps.lowPrecisionResidualRoute(x, shape(conv1), shape(conv2),
        norm1.groups(), norm2.groups(), type)) {
      NDArray t = Layers.forward(tembProj, ps, tembAct, training);
      NDArray shortcut = skip == null ? x : Layers.forward(skip, ps, x, training);
      return new NDList(FusedOps.residualBlock(x, norm1.gammaValue(ps, x, training), norm1.betaValue(ps, x, training),
          norm1.groups(), value(conv1, "weight", ps, x, training), value(conv1, "bias", ps, x, training), t,
          norm2.gammaValue(ps, x, training), norm2.betaValue(ps, x, training), norm2.groups(),
          value(conv2, "weight", ps, x, training), value(conv2, "bias", ps, x, training), shortcut, type));
    }
    NDArray h = Layers.forward(conv1, ps, Ops.siluBeforeConv(Layers.forward(norm1, ps, x, training), conv1), training);
    NDArray t = Layers.forward(tembProj, ps, tembAct, training);
    h = h.add(t.reshape(t.getShape().get(0), outChannels, 1, 1));
    h = Ops.siluBeforeConv(Layers.forward(norm2, ps, h, training), conv2);
    if (dropout != null && training) {
      h = Layers.forward(dropout, ps, h, training);
    }
    h = Layers.forward(conv2, ps, h, training);
    NDArray shortcut = skip == null ? x : Layers.forward(skip, ps, x, training);
    return new NDList(shortcut.add(h));
  }

  private static Shape shape(Conv2d conv) {
    return conv.getParameters().get("weight").getArray().getShape();
  }

  private static NDArray value(Conv2d conv, String name, ParameterStore ps, NDArray like, boolean training) {
    return ps.getValue(conv.getParameters().get(name), like.getDevice(), training);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape x = inputShapes[0];
    return new Shape[] {new Shape(x.get(0), outChannels, x.get(2), x.get(3))};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape x = inputShapes[0];
    Shape out = new Shape(x.get(0), outChannels, x.get(2), x.get(3));
    norm1.initialize(manager, dataType, x);
    conv1.initialize(manager, dataType, x);
    tembProj.initialize(manager, dataType, new Shape(x.get(0), embeddingDim));
    norm2.initialize(manager, dataType, out);
    if (dropout != null) {
      dropout.initialize(manager, dataType, out);
    }
    conv2.initialize(manager, dataType, out);
    if (skip != null) {
      skip.initialize(manager, dataType, x);
    }
  }
}
