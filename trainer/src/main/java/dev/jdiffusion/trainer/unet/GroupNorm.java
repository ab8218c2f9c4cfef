package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Group normalization (Wu &amp; He 2018, "Group Normalization", eq. 1-3). DJL 0.35 has no GroupNorm block
 * and does not expose libtorch's {@code group_norm}; {@link #groupNorm} reaches that kernel through
 * {@link FusedOps} (one kernel each way, as in PyTorch's {@code nn.GroupNorm}) and otherwise runs
 * {@link #viaBatchNorm}, the engine's batch norm on a grouped view, the way PyTorch itself first
 * implemented group norm:
 *
 * <p>For input {@code x} of shape {@code (B, C, H, W)} with {@code G} groups:
 * <ol>
 *   <li>{@code g = reshape(x, (1, B*G, C/G*H*W))}: every (sample, group) becomes one batch-norm channel
 *   <li>{@code n = batch_norm(g)} in training mode (batch statistics: per-row mean and biased variance,
 *       as in PyTorch's GroupNorm, {@code eps = 1e-5}); weight 1 and bias 0, throw-away running
 *       statistics
 *   <li>{@code y = reshape(n, (B, C, H, W)) * gamma(1, C, 1, 1) + beta(1, C, 1, 1)}
 * </ol>
 * With one channel per group ({@code C = G}) the affine map is batch norm's own weight and bias instead,
 * {@code gamma} and {@code beta} tiled {@code B} times, so that step runs inside the batch-norm kernel.
 * Parameters: {@code gamma} (shape {@code (C)}, ones) and {@code beta} (shape {@code (C)}, zeros). The
 * function does not depend on the training flag: group norm has no running statistics.
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

  /** {@code gamma}'s value for a forward of {@code like} (its device). */
  NDArray gammaValue(ParameterStore ps, NDArray like, boolean training) {
    return ps.getValue(gamma, like.getDevice(), training);
  }

  /** {@code beta}'s value for a forward of {@code like} (its device). */
  NDArray betaValue(ParameterStore ps, NDArray like, boolean training) {
    return ps.getValue(beta, like.getDevice(), training);
  }

  /**
   * The function of this block: libtorch's group norm where the engine offers it, else (and for groups
   * of a single value, whose exact output is {@code beta} but libtorch's was 4e-5 off it in
   * {@code GroupNormTest}) {@link #viaBatchNorm}.
   */
  public static NDArray groupNorm(NDArray x, NDArray gamma, NDArray beta, int groups) {
    return FusedOps.available(x) && libtorchKernelTakes(x.getShape(), groups)
        ? FusedOps.groupNorm(x, gamma, beta, groups)
        : viaBatchNorm(x, gamma, beta, groups);
  }

  /** Whether libtorch's group norm kernel is used for an {@code x}-shaped input: groups of at least two values. */
  static boolean libtorchKernelTakes(Shape x, int groups) {
    return x.size() / (x.get(0) * groups) >= 2;
  }

  /** The function of this block from DJL's batch norm; see the class comment for the op order. */
  static NDArray viaBatchNorm(NDArray x, NDArray gamma, NDArray beta, int groups) {
    Shape s = x.getShape();
    long batch = s.get(0);
    long c = s.get(1);
    long rows = batch * groups;
    if (s.size() / rows < 2) {
      // batch norm in training mode refuses a single value per channel; the normalized value is 0
      return normalizedByComposedOps(x, groups).mul(Ops.reshapeParameter(gamma, x, 1, c, 1, 1))
          .add(Ops.reshapeParameter(beta, x, 1, c, 1, 1));
    }
    NDManager manager = x.getManager();
    Shape perRow = new Shape(rows);
    // the engine updates the running statistics in place in training mode: give it arrays of its own
    NDArray runningMean = manager.zeros(perRow, x.getDataType(), x.getDevice());
    NDArray runningVar = manager.ones(perRow, x.getDataType(), x.getDevice());
    NDArray grouped = x.reshape(1, rows, -1);
    if (c == groups) {
      // one channel per group: the per-channel affine map is batch norm's own per-row weight and bias
      // (row b*G + g is channel g of sample b), so it runs inside the same kernel
      NDArray weight = gamma.tile(batch);
      NDArray bias = beta.tile(batch);
      weight.attach(manager);
      bias.attach(manager);
      return grouped.getNDArrayInternal()
          .batchNorm(grouped, runningMean, runningVar, weight, bias, 1, 1f, EPSILON, true)
          .singletonOrThrow()
          .reshape(s);
    }
    NDArray ones = manager.ones(perRow, x.getDataType(), x.getDevice());
    NDArray zeros = manager.zeros(perRow, x.getDataType(), x.getDevice());
    NDArray normed = grouped.getNDArrayInternal()
        .batchNorm(grouped, runningMean, runningVar, ones, zeros, 1, 1f, EPSILON, true)
        .singletonOrThrow()
        .reshape(s);
    return normed.mul(Ops.reshapeParameter(gamma, x, 1, c, 1, 1))
        .add(Ops.reshapeParameter(beta, x, 1, c, 1, 1));
  }

  /** {@code (x - mean) / sqrt(var + eps)} per (sample, group) from elementary ops (the tiny-group path). */
  private static NDArray normalizedByComposedOps(NDArray x, int groups) {
    Shape s = x.getShape();
    NDArray grouped = x.reshape(s.get(0), groups, -1);
    NDArray d = grouped.sub(grouped.mean(new int[] {2}, true));
    NDArray var = d.mul(d).mean(new int[] {2}, true);
    return d.div(var.add(Ops.constant(x, EPSILON)).sqrt()).reshape(s);
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
