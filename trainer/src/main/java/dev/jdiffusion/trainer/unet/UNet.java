package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The DDPM UNet of Ho et al. (2020, "Denoising Diffusion Probabilistic Models", appendix B), built from
 * DJL blocks, configured by a {@link UNetConfig}.
 *
 * <p>Inputs {@code (x_t: (B, C, S, S) float32, t: (B) float32 timestep indices)}; output
 * {@code (B, C, S, S)}, the network's prediction in the trained parameterization. Op order of
 * {@link #forward}:
 * <ol>
 *   <li>{@code temb = timeEmbedding(t)} ({@link TimestepEmbedding}); {@code tembAct = silu(temb)}
 *   <li>{@code h = convIn(x)} (3x3 conv to {@code baseChannels}); the skip stack starts as {@code [h]}
 *   <li>for each unit of {@link #downUnits()}, in order: a unit is {@code [ResidualBlock]},
 *       {@code [ResidualBlock, AttentionBlock]} or {@code [Downsample]}; apply its blocks in order
 *       (a residual block gets {@code (h, tembAct)}), then push {@code h} on the skip stack
 *   <li>{@link #middle()}: {@code h = res2(attn(res1(h, tembAct)), tembAct)}
 *   <li>for each unit of {@link #upUnits()}, in order: a unit is {@code [ResidualBlock]} or
 *       {@code [ResidualBlock, AttentionBlock]}, whose residual block gets
 *       {@code (concat(h, pop(skips), axis 1), tembAct)}, or {@code [Upsample]}, which takes no skip
 *   <li>{@code y = convOut(silu(normOut(h)))} (GroupNorm, SiLU, 3x3 conv to the image channels)
 * </ol>
 * Levels go down with {@code resBlocks} residual units per level and a {@link Downsample} between levels;
 * up with {@code resBlocks + 1} residual units per level (each consuming one skip) and an {@link Upsample}
 * between levels. Attention follows a residual block whose output resolution is listed in
 * {@link UNetConfig#attentionResolutions()}.
 *
 * <p>Child blocks are registered in forward order with the names {@code time_embed, conv_in,
 * down<level>_res<i>, down<level>_attn<i>, down<level>_downsample, mid_res1, mid_attn, mid_res2,
 * up<level>_res<i>, up<level>_attn<i>, up<level>_upsample, norm_out, conv_out} (DJL prefixes each with its
 * two-digit position). Weights of convolutions and linear layers start as {@code U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in))} (PyTorch's default bound), biases and GroupNorm betas as 0, gammas as 1.
 */
public final class UNet extends AbstractBlock {
  private final UNetConfig config;
  private final TimestepEmbedding timeEmbedding;
  private final Conv2d convIn;
  private final List<List<Block>> downUnits;
  private final List<Block> middle;
  private final List<List<Block>> upUnits;
  private final GroupNorm normOut;
  private final Conv2d convOut;

  public UNet(UNetConfig config) {
    this.config = config;
    int base = config.baseChannels();
    int emb = config.embeddingDim();
    float dropout = (float) config.dropout();
    this.timeEmbedding = addChildBlock("time_embed", new TimestepEmbedding(base, emb));
    this.convIn = addChildBlock("conv_in", Layers.conv3x3(base, 1));

    List<List<Block>> down = new ArrayList<>();
    int ch = base;
    int levels = config.levels();
    for (int level = 0; level < levels; level++) {
      int out = config.channels(level);
      boolean attention = config.attentionResolutions().contains(config.resolution(level));
      for (int i = 0; i < config.resBlocks(); i++) {
        List<Block> unit = new ArrayList<>();
        unit.add(addChildBlock("down" + level + "_res" + i, new ResidualBlock(ch, out, emb, dropout)));
        ch = out;
        if (attention) {
          unit.add(addChildBlock("down" + level + "_attn" + i, new AttentionBlock(ch)));
        }
        down.add(List.copyOf(unit));
      }
      if (level != levels - 1) {
        down.add(List.of(addChildBlock("down" + level + "_downsample", new Downsample(ch))));
      }
    }
    this.downUnits = List.copyOf(down);
    this.middle = List.of(
        addChildBlock("mid_res1", new ResidualBlock(ch, ch, emb, dropout)),
        addChildBlock("mid_attn", new AttentionBlock(ch)),
        addChildBlock("mid_res2", new ResidualBlock(ch, ch, emb, dropout)));

    List<List<Block>> up = new ArrayList<>();
    // each decoder block's input: the running width plus the skip it concatenates (UNetConfig checks them)
    java.util.Iterator<Integer> inputWidths = config.decoderInputWidths().iterator();
    for (int level = levels - 1; level >= 0; level--) {
      int out = config.channels(level);
      boolean attention = config.attentionResolutions().contains(config.resolution(level));
      for (int i = 0; i <= config.resBlocks(); i++) {
        List<Block> unit = new ArrayList<>();
        int in = inputWidths.next();
        unit.add(addChildBlock("up" + level + "_res" + i, new ResidualBlock(in, out, emb, dropout)));
        ch = out;
        if (attention) {
          unit.add(addChildBlock("up" + level + "_attn" + i, new AttentionBlock(ch)));
        }
        up.add(List.copyOf(unit));
      }
      if (level != 0) {
        up.add(List.of(addChildBlock("up" + level + "_upsample", new Upsample(ch))));
      }
    }
    this.upUnits = List.copyOf(up);
    this.normOut = addChildBlock("norm_out", GroupNorm.standard(ch));
    this.convOut = addChildBlock("conv_out", Layers.conv3x3(config.imageChannels(), 1));
    setInitializer(new XavierInitializer(
        XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN, 1f), Parameter.Type.WEIGHT);
  }

  public UNetConfig config() {
    return config;
  }

  public TimestepEmbedding timeEmbedding() {
    return timeEmbedding;
  }

  public Conv2d convIn() {
    return convIn;
  }

  /** The units of the contracting path, in forward order (see the class comment). */
  public List<List<Block>> downUnits() {
    return downUnits;
  }

  /** {@code [ResidualBlock, AttentionBlock, ResidualBlock]}. */
  public List<Block> middle() {
    return middle;
  }

  /** The units of the expanding path, in forward order (see the class comment). */
  public List<List<Block>> upUnits() {
    return upUnits;
  }

  public GroupNorm normOut() {
    return normOut;
  }

  public Conv2d convOut() {
    return convOut;
  }

  /** Number of trainable values. */
  public long parameterCount() {
    long n = 0;
    for (Parameter p : getParameters().values()) {
      n += p.getShape().size();
    }
    return n;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.get(0);
    NDArray t = inputs.get(1);
    NDArray tembAct = Ops.silu(Layers.forward(timeEmbedding, ps, t, training));
    NDArray h = Layers.forward(convIn, ps, x, training);
    Deque<NDArray> skips = new ArrayDeque<>();
    skips.push(h);
    for (List<Block> unit : downUnits) {
      h = applyUnit(unit, ps, h, tembAct, training);
      skips.push(h);
    }
    h = applyUnit(middle, ps, h, tembAct, training);
    for (List<Block> unit : upUnits) {
      if (unit.get(0) instanceof ResidualBlock) {
        h = NDArrays.concat(new NDList(h, skips.pop()), 1);
      }
      h = applyUnit(unit, ps, h, tembAct, training);
    }
    h = Ops.siluBeforeConv(Layers.forward(normOut, ps, h, training), convOut);
    return new NDList(Layers.forward(convOut, ps, h, training));
  }

  private static NDArray applyUnit(
      List<Block> unit, ParameterStore ps, NDArray h, NDArray tembAct, boolean training) {
    for (Block b : unit) {
      NDList in = b instanceof ResidualBlock ? new NDList(h, tembAct) : new NDList(h);
      h = b.forward(ps, in, training).singletonOrThrow();
    }
    return h;
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape x = inputShapes[0];
    long b = x.get(0);
    timeEmbedding.initialize(manager, dataType, new Shape(b));
    Shape temb = new Shape(b, config.embeddingDim());
    convIn.initialize(manager, dataType, x);
    Shape h = convIn.getOutputShapes(new Shape[] {x})[0];
    Deque<Shape> skips = new ArrayDeque<>();
    skips.push(h);
    for (List<Block> unit : downUnits) {
      h = initializeUnit(unit, manager, dataType, h, temb);
      skips.push(h);
    }
    h = initializeUnit(middle, manager, dataType, h, temb);
    for (List<Block> unit : upUnits) {
      if (unit.get(0) instanceof ResidualBlock) {
        Shape s = skips.pop();
        h = new Shape(h.get(0), h.get(1) + s.get(1), h.get(2), h.get(3));
      }
      h = initializeUnit(unit, manager, dataType, h, temb);
    }
    normOut.initialize(manager, dataType, h);
    convOut.initialize(manager, dataType, h);
  }

  private static Shape initializeUnit(
      List<Block> unit, NDManager manager, DataType dataType, Shape h, Shape temb) {
    for (Block block : unit) {
      Shape[] in = block instanceof ResidualBlock ? new Shape[] {h, temb} : new Shape[] {h};
      block.initialize(manager, dataType, in);
      h = block.getOutputShapes(in)[0];
    }
    return h;
  }
}
