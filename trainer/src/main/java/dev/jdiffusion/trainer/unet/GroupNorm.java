package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Group normalization (Wu &amp; He 2018, "Group Normalization", eq. 1-3) composed from elementary
 * tensor operations, because DJL 0.35 has no GroupNorm block and no {@code var()}.
 *
 * <p>Op order of {@link #forward} for input {@code x} of shape {@code (B, C, H, W)} with {@code G} groups:
 * <ol>
 *   <li>{@code g = reshape(x, (B, G, C/G*H*W))}
 *   <li>{@code mu = mean(g, axis 2, keepdims)}
 *   <li>{@code d = g - mu}
 *   <li>{@code var = mean(d * d, axis 2, keepdims)} (biased, as in PyTorch's GroupNorm)
 *   <li>{@code n = d / sqrt(var + eps)} with {@code eps = 1e-5} as a constant tensor
 *   <li>{@code y = reshape(n, (B, C, H, W)) * gamma(1, C, 1, 1) + beta(1, C, 1, 1)}
 * </ol>
 * Parameters: {@code gamma} (shape {@code (C)}, ones) and {@code beta} (shape {@code (C)}, zeros).
 */
public final class GroupNorm extends AbstractBlock {
  /** The epsilon PyTorch's {@code nn.GroupNorm} uses by default. */
  public static final float EPSILON = 1e-5f;

  private final int channels;
  private final int groups;
  private final Parameter gamma;
  private final Parameter beta;

  /** Group norm over {@code channels} in {@code groups} groups; {@code groups} must divide {@code channels}. */
  public GroupNorm(int channels, int groups) {
    if (channels < 1 || groups < 1 || channels % groups != 0) {
      throw new IllegalArgumentException(
          "group norm needs groups dividing channels, got channels = " + channels + ", groups = " + groups);
    }
    this.channels = channels;
    this.groups = groups;
    this.gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA)
        .optShape(new Shape(channels)).build());
    this.beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA)
        .optShape(new Shape(channels)).build());
  }

  /** The group count of the reference networks: {@code min(32, channels)}. */
  public static GroupNorm standard(int channels) {
    return new GroupNorm(channels, Math.min(32, channels));
  }

  public int channels() {
    return channels;
  }

  public int groups() {
    return groups;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow();
    NDArray g = ps.getValue(gamma, x.getDevice(), training);
    NDArray b = ps.getValue(beta, x.getDevice(), training);
    return new NDList(groupNorm(x, g, b, groups));
  }

  /** The function of this block; see the class comment for the op order. */
  public static NDArray groupNorm(NDArray x, NDArray gamma, NDArray beta, int groups) {
    Shape s = x.getShape();
    long batch = s.get(0);
    long c = s.get(1);
    NDArray grouped = x.reshape(batch, groups, -1);
    NDArray mean = grouped.mean(new int[] {2}, true);
    NDArray d = grouped.sub(mean);
    NDArray var = d.mul(d).mean(new int[] {2}, true);
    NDArray normed = d.div(var.add(Ops.constant(x, EPSILON)).sqrt()).reshape(s);
    return normed.mul(Ops.reshapeParameter(gamma, x, 1, c, 1, 1))
        .add(Ops.reshapeParameter(beta, x, 1, c, 1, 1));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  protected void initializeChildBlocks(
      ai.djl.ndarray.NDManager manager, ai.djl.ndarray.types.DataType dataType, Shape... inputShapes) {
    // a leaf: gamma and beta are initialized by the caller
  }
}
