package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The timestep embedding of Ho et al. (2020): the sinusoidal position encoding of Vaswani et al. (2017)
 * of the (integer-valued, float-typed) timestep, then a two-layer MLP.
 *
 * <p>Input {@code t: (B)} (float32, the timestep index {@code 0 .. T-1}). With {@code D = dim},
 * {@code half = D / 2} and {@code f_i = exp(-ln(10000) * i / (half - 1))} for {@code i = 0 .. half-1}
 * (a constant table). Op order:
 * <ol>
 *   <li>{@code a = reshape(t, (B, 1)) * reshape(f, (1, half))}
 *   <li>{@code e = concat(sin(a), cos(a), axis 1)}: {@code (B, D)}
 *   <li>{@code temb = linear2(silu(linear1(e)))}: linear {@code D -> E}, SiLU, linear {@code E -> E}
 * </ol>
 * Child blocks: {@code linear1, linear2}. The caller applies one more SiLU before the residual blocks'
 * projections.
 */
public final class TimestepEmbedding extends AbstractBlock {
  private final int dim;
  private final int embeddingDim;
  private final float[] frequencies;
  private final Linear linear1;
  private final Linear linear2;

  public TimestepEmbedding(int dim, int embeddingDim) {
    if (dim < 4 || dim % 2 != 0) {
      throw new IllegalArgumentException("sinusoidal embedding width must be even and >= 4, got " + dim);
    }
    this.dim = dim;
    this.embeddingDim = embeddingDim;
    this.frequencies = frequencies(dim);
    this.linear1 = addChildBlock("linear1", Layers.linear(embeddingDim));
    this.linear2 = addChildBlock("linear2", Layers.linear(embeddingDim));
  }

  /** {@code f_i = exp(-ln(10000) * i / (dim/2 - 1))}, {@code i = 0 .. dim/2 - 1}. */
  public static float[] frequencies(int dim) {
    int half = dim / 2;
    float[] f = new float[half];
    for (int i = 0; i < half; i++) {
      f[i] = (float) Math.exp(-Math.log(10000.0) * i / (half - 1));
    }
    return f;
  }

  /** The sinusoidal width D. */
  public int dim() {
    return dim;
  }

  /** The MLP width E. */
  public int embeddingDim() {
    return embeddingDim;
  }

  public Linear linear1() {
    return linear1;
  }

  public Linear linear2() {
    return linear2;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray t = inputs.singletonOrThrow();
    long b = t.getShape().get(0);
    NDArray f = t.getManager().create(frequencies).reshape(1, frequencies.length);
    NDArray a = t.toType(DataType.FLOAT32, false).reshape(b, 1).mul(f);
    NDArray e = NDArrays.concat(new NDList(a.sin(), a.cos()), 1);
    NDArray h = Ops.silu(Layers.forward(linear1, ps, e, training));
    return new NDList(Layers.forward(linear2, ps, h, training));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), embeddingDim)};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    long b = inputShapes[0].get(0);
    linear1.initialize(manager, dataType, new Shape(b, dim));
    linear2.initialize(manager, dataType, new Shape(b, embeddingDim));
  }
}
