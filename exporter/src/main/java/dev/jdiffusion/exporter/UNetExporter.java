package dev.jdiffusion.exporter;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.trainer.unet.AttentionBlock;
import dev.jdiffusion.trainer.unet.Downsample;
import dev.jdiffusion.trainer.unet.GroupNorm;
import dev.jdiffusion.trainer.unet.ResidualBlock;
import dev.jdiffusion.trainer.unet.TimestepEmbedding;
import dev.jdiffusion.trainer.unet.UNet;
import dev.jdiffusion.trainer.unet.UNetConfig;
import dev.jdiffusion.trainer.unet.Upsample;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Writes a trained {@link UNet} as an ONNX graph, op for op as each block's Javadoc states its forward
 * pass, with the block's current weights as initializers. DJL cannot export ONNX; this walks the
 * network's own structure instead of tracing it, so every configuration {@link UNetConfig} accepts is
 * covered, and anything else (an unknown block) is refused rather than exported wrong.
 *
 * <p>Interface: inputs {@code x} float32 {@code [N, C, H, W]} and {@code t} int64 {@code [N]} (timestep
 * indices {@code 0 .. T-1}, cast to float as in training); one output named after the parameterization,
 * float32 {@code [N, C, H, W]}. {@code N} is dynamic. Opset {@value OnnxGraphBuilder#OPSET}.
 *
 * <p>Mapping: convolutions to {@code Conv}, linear layers to {@code Gemm} (transB, DJL stores
 * {@code (out, in)}), SiLU to {@code Sigmoid} and {@code Mul}, group norm to {@code InstanceNormalization}
 * over the {@code (N, G, C/G * H * W)} view followed by the per-channel affine map (the same statistics:
 * biased variance, epsilon 1e-5), nearest upsampling to {@code Resize} (nearest, asymmetric, floor),
 * attention to {@code MatMul}/{@code Softmax} as {@code v softmax(q^T k / sqrt(C), axis 2)^T}: the function
 * {@link AttentionBlock} computes, in the untransposed orientation (softmax on the last axis), which
 * inference prefers; the block itself trains on the transposed one.
 */
public final class UNetExporter {
  private final OnnxGraphBuilder g;
  private final String tembAct;

  private UNetExporter(OnnxGraphBuilder g, String tembAct) {
    this.g = g;
    this.tembAct = tembAct;
  }

  /**
   * The ONNX model of {@code net} with its current (initialized) weights.
   *
   * @param outputName the output's name: the parameterization id
   * @param metadata {@code metadata_props} to attach (see {@code ModelMetadata})
   */
  public static ModelProto export(UNet net, String outputName, Map<String, String> metadata, String version) {
    UNetConfig c = net.config();
    OnnxGraphBuilder g = new OnnxGraphBuilder("jdiffusion_unet");
    g.input("x", TensorProto.DataType.FLOAT, -1, c.imageChannels(), c.imageSize(), c.imageSize());
    g.input("t", TensorProto.DataType.INT64, -1);
    g.output(outputName, TensorProto.DataType.FLOAT, -1, c.imageChannels(), c.imageSize(), c.imageSize());

    String tf = g.node("Cast", new String[] {"t"}, "to", (long) TensorProto.DataType.FLOAT.getNumber());
    String temb = timestepEmbedding(g, net.timeEmbedding(), tf);
    UNetExporter e = new UNetExporter(g, silu(g, temb));

    String h = conv(g, net.convIn(), "x");
    Deque<String> skips = new ArrayDeque<>();
    skips.push(h);
    for (List<Block> unit : net.downUnits()) {
      h = e.unit(unit, h);
      skips.push(h);
    }
    h = e.unit(net.middle(), h);
    for (List<Block> unit : net.upUnits()) {
      if (unit.get(0) instanceof ResidualBlock) {
        h = g.node("Concat", new String[] {h, skips.pop()}, "axis", 1L);
      }
      h = e.unit(unit, h);
    }
    h = silu(g, groupNorm(g, net.normOut(), h));
    Conv2d out = net.convOut();
    g.nodeInto("Conv", new String[] {h, weight(g, out, "weight"), weight(g, out, "bias")}, outputName,
        convAttributes(out));
    g.metadata(metadata);
    return g.build(version);
  }

  private String unit(List<Block> unit, String h) {
    for (Block b : unit) {
      if (b instanceof ResidualBlock r) {
        h = residual(r, h);
      } else if (b instanceof AttentionBlock a) {
        h = attention(a, h);
      } else if (b instanceof Downsample d) {
        h = conv(g, d.conv(), h);
      } else if (b instanceof Upsample u) {
        String up = g.node("Resize", new String[] {h, "", g.floats("scales", new float[] {1, 1, 2, 2}, 4)},
            "mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor");
        h = conv(g, u.conv(), up);
      } else {
        throw new IllegalArgumentException("cannot export block " + b.getClass().getName()
            + ": the exporter knows ResidualBlock, AttentionBlock, Downsample and Upsample");
      }
    }
    return h;
  }

  /** See {@link ResidualBlock}'s op order. Dropout is the identity at inference. */
  private String residual(ResidualBlock r, String x) {
    String h = conv(g, r.conv1(), silu(g, groupNorm(g, r.norm1(), x)));
    String t = linear(g, r.tembProj(), tembAct);
    String t4 = g.node("Reshape", new String[] {t, g.longs("shape", 0, r.outChannels(), 1, 1)});
    h = g.node("Add", new String[] {h, t4});
    h = silu(g, groupNorm(g, r.norm2(), h));
    h = conv(g, r.conv2(), h);
    String shortcut = r.skip().isPresent() ? conv(g, r.skip().get(), x) : x;
    return g.node("Add", new String[] {shortcut, h});
  }

  /** {@link AttentionBlock}'s function in the untransposed orientation (see the class comment). */
  private String attention(AttentionBlock a, String x) {
    String h = groupNorm(g, a.norm(), x);
    String flat = g.longs("shape", 0, a.channels(), -1);
    String q = g.node("Reshape", new String[] {conv(g, a.query(), h), flat});
    String k = g.node("Reshape", new String[] {conv(g, a.key(), h), flat});
    String v = g.node("Reshape", new String[] {conv(g, a.value(), h), flat});
    String qt = g.node("Transpose", new String[] {q}, "perm", new long[] {0, 2, 1});
    String logits = g.node("Mul", new String[] {g.node("MatMul", new String[] {qt, k}),
        g.scalar("scale", (float) (1 / Math.sqrt(a.channels())))});
    String attn = g.node("Softmax", new String[] {logits}, "axis", 2L);
    String at = g.node("Transpose", new String[] {attn}, "perm", new long[] {0, 2, 1});
    String o = g.node("Reshape", new String[] {g.node("MatMul", new String[] {v, at}),
        g.node("Shape", new String[] {x})});
    return g.node("Add", new String[] {x, conv(g, a.output(), o)});
  }

  /** See {@link TimestepEmbedding}'s op order. */
  private static String timestepEmbedding(OnnxGraphBuilder g, TimestepEmbedding te, String tf) {
    float[] f = TimestepEmbedding.frequencies(te.dim());
    String col = g.node("Reshape", new String[] {tf, g.longs("shape", -1, 1)});
    String a = g.node("Mul", new String[] {col, g.floats("frequencies", f, 1, f.length)});
    String e = g.node("Concat", new String[] {g.node("Sin", new String[] {a}), g.node("Cos", new String[] {a})},
        "axis", 1L);
    return linear(g, te.linear2(), silu(g, linear(g, te.linear1(), e)));
  }

  /** {@code x * sigmoid(x)}. */
  private static String silu(OnnxGraphBuilder g, String x) {
    return g.node("Mul", new String[] {x, g.node("Sigmoid", new String[] {x})});
  }

  /** See {@link GroupNorm}: normalize each (sample, group), then the per-channel affine map. */
  private static String groupNorm(OnnxGraphBuilder g, GroupNorm n, String x) {
    int groups = n.groups();
    int c = n.channels();
    String grouped = g.node("Reshape", new String[] {x, g.longs("shape", 0, groups, -1)});
    float[] ones = new float[groups];
    java.util.Arrays.fill(ones, 1f);
    String normed = g.node("InstanceNormalization",
        new String[] {grouped, g.floats("ones", ones, groups), g.floats("zeros", new float[groups], groups)},
        "epsilon", GroupNorm.EPSILON);
    String back = g.node("Reshape", new String[] {normed, g.node("Shape", new String[] {x})});
    String scaled = g.node("Mul", new String[] {back, param(g, n, "gamma", 1, c, 1, 1)});
    return g.node("Add", new String[] {scaled, param(g, n, "beta", 1, c, 1, 1)});
  }

  private static String conv(OnnxGraphBuilder g, Conv2d conv, String x) {
    return g.node("Conv", new String[] {x, weight(g, conv, "weight"), weight(g, conv, "bias")},
        convAttributes(conv));
  }

  private static Object[] convAttributes(Conv2d conv) {
    long[] k = conv.getKernelShape().getShape();
    long[] s = conv.getStride().getShape();
    long[] p = conv.getPadding().getShape();
    return new Object[] {"kernel_shape", k, "strides", s, "pads", new long[] {p[0], p[1], p[0], p[1]}};
  }

  private static String linear(OnnxGraphBuilder g, Linear linear, String x) {
    return g.node("Gemm", new String[] {x, weight(g, linear, "weight"), weight(g, linear, "bias")},
        "transB", 1L);
  }

  /** A block's parameter as an initializer with the parameter's own shape. */
  private static String weight(OnnxGraphBuilder g, Block block, String name) {
    NDArray a = parameter(block, name);
    return g.floats(name, a.toFloatArray(), a.getShape().getShape());
  }

  /** A block's parameter as an initializer with a given shape (same number of values). */
  private static String param(OnnxGraphBuilder g, Block block, String name, long... shape) {
    return g.floats(name, parameter(block, name).toFloatArray(), shape);
  }

  private static NDArray parameter(Block block, String name) {
    for (var pair : block.getDirectParameters()) {
      if (pair.getKey().equals(name)) {
        Parameter p = pair.getValue();
        if (!p.isInitialized()) {
          throw new IllegalStateException("parameter " + name + " of " + block.getClass().getSimpleName()
              + " is not initialized: export a trained (or initialized) network");
        }
        return p.getArray();
      }
    }
    throw new IllegalArgumentException(block.getClass().getSimpleName() + " has no parameter '" + name
        + "'; it has " + block.getDirectParameters().keys());
  }
}
