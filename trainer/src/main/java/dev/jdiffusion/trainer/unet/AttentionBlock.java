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
 * Single-head self-attention over the pixels of a feature map, as in Ho et al. (2020) (scaled dot-product
 * attention of Vaswani et al. 2017 with 1x1 convolutions as projections) and a residual connection.
 *
 * <p>Input {@code x: (B, C, H, W)}, {@code N = H * W}. Op order:
 * <ol>
 *   <li>{@code h = norm(x)} ({@link GroupNorm})
 *   <li>{@code q, k, v = reshape(conv_q(h), (B, C, N))}, likewise {@code k}, {@code v} (1x1 convs)
 *   <li>{@code a' = softmax(matmul(transpose(k, (0, 2, 1)), q * (1 / sqrt(C))), axis 1)}: {@code (B, N, N)},
 *       the transposed attention matrix, {@code a'[m, n]} = weight of pixel {@code m} for query pixel {@code n}
 *   <li>{@code o = reshape(matmul(v, a'), (B, C, H, W))}
 *   <li>{@code y = x + conv_out(o)} (1x1 conv)
 * </ol>
 * This is {@code o = v softmax(q^T k / sqrt(C))^T} computed without transposing the {@code N x N} matrix:
 * the transposed form made the softmax backward copy a non-contiguous gradient of that size at every
 * step, and scaling {@code q} ({@code C x N}) instead of the logits ({@code N x N}) is the cheaper multiply.
 * The exported ONNX graph computes the untransposed form, which suits inference (softmax on the last axis).
 * Under a low-precision {@link Autocast} scope the two matmuls run in that precision and the softmax in
 * float32 ({@link FusedOps#attention}).
 * Child blocks, in this order: {@code norm, q, k, v, out}.
 */
public final class AttentionBlock extends AbstractBlock {
  private final int channels;
  private final GroupNorm norm;
  private final Conv2d q;
  private final Conv2d k;
  private final Conv2d v;
  private final Conv2d out;

  public AttentionBlock(int channels) {
    this.channels = channels;
    this.norm = addChildBlock("norm", GroupNorm.standard(channels));
    this.q = addChildBlock("q", Layers.conv1x1(channels));
    this.k = addChildBlock("k", Layers.conv1x1(channels));
    this.v = addChildBlock("v", Layers.conv1x1(channels));
    this.out = addChildBlock("out", Layers.conv1x1(channels));
  }

  public int channels() {
    return channels;
  }

  public GroupNorm norm() {
    return norm;
  }

  public Conv2d query() {
    return q;
  }

  public Conv2d key() {
    return k;
  }

  public Conv2d value() {
    return v;
  }

  public Conv2d output() {
    return out;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow();
    Shape s = x.getShape();
    long b = s.get(0);
    long n = s.get(2) * s.get(3);
    NDArray h = Layers.forward(norm, ps, x, training);
    NDArray qs = Layers.forward(q, ps, h, training).reshape(b, channels, n);
    NDArray ks = Layers.forward(k, ps, h, training).reshape(b, channels, n);
    NDArray vs = Layers.forward(v, ps, h, training).reshape(b, channels, n);
    NDArray scale = Ops.constant(x, (float) (1 / Math.sqrt(channels)));
    NDArray o;
    if (Autocast.mixed() && FusedOps.available(x)) {
      o = FusedOps.attention(qs, ks, vs, scale, Autocast.current()).reshape(s);
    } else {
      NDArray attentionT = ks.transpose(0, 2, 1).matMul(qs.mul(scale)).softmax(1);
      o = vs.matMul(attentionT).reshape(s);
    }
    return new NDList(x.add(Layers.forward(out, ps, o, training)));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    for (var child : getChildren().values()) {
      child.initialize(manager, dataType, inputShapes[0]);
    }
  }
}
