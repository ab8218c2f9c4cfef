package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.core.io.StoredZipEntries;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch's single-kernel {@code silu} and {@code group_norm}, which DJL 0.35 does not expose, and a
 * convolution that avoids a oneDNN defect ({@link #conv2d(NDArray, NDArray, NDArray, int, int)}), reached
 * through TorchScript: each op is a small TorchScript module whose source this class writes at run time
 * (a TorchScript archive is a zip of Python-syntax source and a small pickle; libtorch compiles the source
 * when it loads the archive) and loads once per process through DJL. Called in training mode, the module
 * runs under the caller's autograd, so the backward pass is libtorch's own {@code silu_backward} and
 * {@code native_group_norm_backward}: one kernel each instead of the three to four that the composed
 * formulas ({@link Ops#silu}, {@link GroupNorm}'s batch-norm route) record.
 *
 * <p>The modules run on TorchScript's simple executor ({@code setGraphExecutorOptimize(false)} for the
 * call, then back to DJL's setting, {@code ai.djl.pytorch.graph_optimizer}, default on): the profiling
 * executor specializes graphs to the shapes it sees and wraps their backward in a graph of its own, which
 * a one-op graph cannot profit from (two paired unet-s runs: within noise, the simple executor ahead).
 *
 * <p>Only for arrays of DJL's PyTorch engine, and only where that libtorch can compile TorchScript (the
 * mobile "lite" builds cannot): {@link #available(NDArray)} says whether both hold; callers fall back to
 * the composed formulas (and DJL's own convolution) otherwise, and a failed load is logged once.
 */
public final class FusedOps {
  private FusedOps() {}

  /** {@link GroupNorm#EPSILON} as a TorchScript literal. */
  private static final String EPSILON = "1e-05";

  private static final String SILU = "silu";
  private static final String SILU_EXPRESSION = "torch.silu(x)";
  private static final String ONE_TENSOR = "x: Tensor";

  /** {@code torch.channels_last} as TorchScript's serialized code spells it (c10::MemoryFormat::ChannelsLast). */
  private static final int CHANNELS_LAST = 2;

  /** Low-precision convolutions need output channel counts that are multiples of this (see conv2d). */
  private static final int LOW_PRECISION_CHANNEL_BLOCK = 8;

  /** {@code torch.contiguous_format} (c10::MemoryFormat::Contiguous). */
  private static final int CONTIGUOUS = 0;

  /** {@code torch.float32} (c10::ScalarType::Float). */
  private static final int FLOAT32 = 6;

  private static final Map<String, PtSymbolBlock> MODULES = new ConcurrentHashMap<>();

  private static final Logger LOG = LoggerFactory.getLogger(FusedOps.class);

  /** Whether libtorch compiled and loaded a first module; {@code null} until first asked. */
  private static volatile Boolean loadable;

  /** Whether {@code x} lives on DJL's PyTorch engine and that engine loads these ops. */
  public static boolean available(NDArray x) {
    if (!(x instanceof PtNDArray)) {
      return false;
    }
    Boolean ok = loadable;
    if (ok == null) {
      synchronized (FusedOps.class) {
        if (loadable == null) {
          try {
            module(SILU, "    return " + SILU_EXPRESSION + "\n", ONE_TENSOR, x);
            loadable = true;
          } catch (RuntimeException e) {
            LOG.warn("libtorch's silu, group_norm and channels-last convolution are not reachable through "
                + "TorchScript here ({}); using the composed formulas, which are slower, and DJL's "
                + "convolution", e.toString());
            loadable = false;
          }
        }
        ok = loadable;
      }
    }
    return ok;
  }

  /** {@code x * sigmoid(x)} as libtorch's {@code silu} (one kernel forward, one backward). */
  public static NDArray silu(NDArray x) {
    return call(SILU, SILU_EXPRESSION, ONE_TENSOR, x);
  }

  /**
   * {@link #silu} of a 4-D {@code x (B, C, H, W)} computed on a channels-last copy, returned channels-last:
   * for an activation that feeds a convolution. The convolution runs channels-last and hands back its input
   * gradient channels-last ({@link #conv2d(NDArray, NDArray, NDArray, int, int)}); libtorch's {@code
   * silu_backward} of a channels-last gradient and an NCHW input takes 5 to 9 times as long as with both in one
   * layout (measured, 64x64x32x32: 12-21 ms against 2.3-2.5), and it was 10-17% of a unet-s training step.
   * Here both are channels-last, the convolution's own copy to channels-last becomes a no-op, and the
   * forward pass makes the same number of copies as before.
   */
  public static NDArray siluChannelsLast(NDArray x) {
    return call("silu_channels_last", "torch.silu(x.contiguous(memory_format=" + CHANNELS_LAST + "))", ONE_TENSOR,
        x);
  }

  /**
   * Group norm of {@code x (B, C, ...)} in {@code groups} groups with per-channel {@code gamma} and
   * {@code beta} (shape {@code (C)}) as libtorch's {@code group_norm}, epsilon {@link GroupNorm#EPSILON}.
   */
  public static NDArray groupNorm(NDArray x, NDArray gamma, NDArray beta, int groups) {
    return call("group_norm_" + groups,
        "torch.group_norm(x, " + groups + ", gamma, beta, " + EPSILON + ")",
        "x: Tensor, gamma: Tensor, beta: Tensor", x, gamma, beta);
  }

  /**
   * {@code block}'s convolution of {@code x} through {@link #conv2d(NDArray, NDArray, NDArray, int, int)}
   * where that applies (this engine, one group, no dilation, a bias, the same stride and padding on both
   * axes), else through DJL's own {@code block.forward}.
   */
  public static NDArray conv2d(Conv2d block, ParameterStore ps, NDArray x, boolean training) {
    Shape stride = block.getStride();
    Shape padding = block.getPadding();
    boolean plain = block.getGroups() == 1 && block.isIncludeBias()
        && new Shape(1, 1).equals(block.getDilation())
        && stride.dimension() == 2 && stride.get(0) == stride.get(1)
        && padding.dimension() == 2 && padding.get(0) == padding.get(1);
    if (!plain || !available(x)) {
      return block.forward(ps, new NDList(x), training).singletonOrThrow();
    }
    NDArray weight = ps.getValue(block.getParameters().get("weight"), x.getDevice(), training);
    NDArray bias = ps.getValue(block.getParameters().get("bias"), x.getDevice(), training);
    return conv2d(x, weight, bias, Math.toIntExact(stride.get(0)), Math.toIntExact(padding.get(0)));
  }

  /**
   * {@code block}'s output for {@code x}: through {@link #linear} in the current {@link Autocast} compute type
   * when that is a low precision (and this engine has these ops), else DJL's own {@code block.forward}.
   */
  public static NDArray linear(Linear block, ParameterStore ps, NDArray x, boolean training) {
    Autocast.ComputeType type = Autocast.current();
    if (type == Autocast.ComputeType.FP32 || !available(x)) {
      return block.forward(ps, new NDList(x), training).singletonOrThrow();
    }
    NDArray weight = ps.getValue(block.getParameters().get("weight"), x.getDevice(), training);
    NDArray bias = ps.getValue(block.getParameters().get("bias"), x.getDevice(), training);
    return linear(x, weight, bias, type);
  }

  /**
   * Cross-correlation of {@code x (B, Cin, H, W)} with {@code weight (Cout, Cin, kH, kW)} plus
   * {@code bias (Cout)}, zero padding {@code padding} and stride {@code stride} on both axes (PyTorch's
   * {@code conv2d}), computed on a channels-last (NHWC) copy of {@code x} and returned in the usual
   * contiguous NCHW layout (the ops around the convolutions are slower on channels-last arrays: in one
   * profiled unet-xs step, libtorch's group norm and its backward took 20 to 30 times as long).
   *
   * <p>Why not the NCHW convolution DJL calls: libtorch's CPU convolutions run on oneDNN, which copies
   * NCHW arrays into blocked layouts (channels in blocks of 8 to 32, the last block padded when the
   * channel count is not a multiple). The oneDNN 3.7.1 inside libtorch 2.7.1 sizes the loop blocking of
   * those copies by the L1 cache size it reads with CPUID; where a hypervisor hides AMD's cache leaf
   * ({@code 0x8000001D}, as Firecracker does) it computes a 1-byte cache, and its copies into padded
   * layouts then skip most of the data. The skipped part keeps whatever the memory held before: input
   * gradients of every 3x3 convolution whose output width is not a multiple of 16 (and the outputs of
   * some input widths) came out wrong, and NaN where that memory held NaN bit patterns. On a channels-last
   * input oneDNN reads and writes the activations where they are, and its weight copies start from a
   * channels-last weight; {@code ConvolutionTest} checks that route against a direct sum. An input of one
   * channel, or of one pixel, is channels-last and NCHW at once, and libtorch takes the NCHW route for it,
   * so such inputs run on libtorch's im2col convolution ({@code thnn_conv2d}), which is cheap at those
   * sizes.
   */
  public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
    return conv2d(x, weight, bias, stride, padding, Autocast.current());
  }

  /**
   * {@link #conv2d(NDArray, NDArray, NDArray, int, int)} computed in {@code type}: for a low precision,
   * input, weight and bias are cast to it on the way in (so autograd returns float32 gradients) and the
   * output is cast back to float32 in the same pass that restores the NCHW layout. Inputs of one channel or
   * one pixel (the thnn route) stay float32: libtorch's im2col convolution has no fast low-precision
   * kernel, and they are a tiny share of the work. So do convolutions whose output channel count is not a
   * multiple of 8 (in these networks only the last one, to the image's channels): on this project's test
   * machine oneDNN's bfloat16 backward-data pass returned zeros and wrong values for 1 and 3 output
   * channels, even on channels-last arrays ({@code MixedPrecisionConvolutionTest} holds those shapes).
   */
  public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding,
      Autocast.ComputeType computeType) {
    Autocast.ComputeType type = weight.getShape().get(0) % LOW_PRECISION_CHANNEL_BLOCK == 0
        ? computeType : Autocast.ComputeType.FP32;
    String s = "[" + stride + ", " + stride + "]";
    String p = "[" + padding + ", " + padding + "]";
    String body = "    if x.size(1) == 1 or x.size(2) * x.size(3) == 1:\n"
        + "      return torch.thnn_conv2d(x, weight, [weight.size(2), weight.size(3)], bias, " + s + ", " + p + ")\n";
    if (type == Autocast.ComputeType.FP32) {
      body += "    y = torch.conv2d(x.contiguous(memory_format=" + CHANNELS_LAST + "), weight, bias, " + s + ", "
          + p + ")\n"
          + "    return y.contiguous()\n";
    } else {
      int d = type.scalarType();
      body += "    y = torch.conv2d(x.to(" + d + ").contiguous(memory_format=" + CHANNELS_LAST + "), weight.to(" + d
          + "), bias.to(" + d + "), " + s + ", " + p + ")\n"
          + "    return y.to(" + FLOAT32 + ", False, False, " + CONTIGUOUS + ")\n";
    }
    return callBody("conv2d_s" + stride + "_p" + padding + suffix(type), body,
        "x: Tensor, weight: Tensor, bias: Tensor", x, weight, bias);
  }

  /**
   * {@code x W^T + b} (PyTorch's {@code linear}) of {@code x (..., in)}, {@code weight (out, in)},
   * {@code bias (out)}, computed in {@code type} and returned in float32 (as
   * {@link #conv2d(NDArray, NDArray, NDArray, int, int, Autocast.ComputeType)} does).
   */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias, Autocast.ComputeType type) {
    int d = type.scalarType();
    String expression = type == Autocast.ComputeType.FP32 ? "torch.linear(x, weight, bias)"
        : "torch.linear(x.to(" + d + "), weight.to(" + d + "), bias.to(" + d + ")).to(" + FLOAT32 + ")";
    return call("linear" + suffix(type), expression, "x: Tensor, weight: Tensor, bias: Tensor", x, weight, bias);
  }

  /**
   * {@link AttentionBlock}'s attention of {@code q, k, v (B, C, N)}:
   * {@code o = v softmax(k^T (q scale), axis 1)}, {@code scale} a scalar array. The two matmuls run in
   * {@code type}; the logits are cast back to float32 before the softmax, which stays float32, and
   * {@code o} is float32.
   */
  public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray scale, Autocast.ComputeType type) {
    int d = type.scalarType();
    String body = "    logits = torch.matmul(k.transpose(1, 2).to(" + d + "), (q * scale).to(" + d + "))\n"
        + "    a = torch.softmax(logits.to(" + FLOAT32 + "), 1)\n"
        + "    return torch.matmul(v.to(" + d + "), a.to(" + d + ")).to(" + FLOAT32 + ")\n";
    return callBody("attention" + suffix(type), body, "q: Tensor, k: Tensor, v: Tensor, scale: Tensor",
        q, k, v, scale);
  }

  private static String suffix(Autocast.ComputeType type) {
    return type == Autocast.ComputeType.FP32 ? "" : "_" + type.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static NDArray call(String name, String expression, String arguments, NDArray... inputs) {
    return callBody(name, "    return " + expression + "\n", arguments, inputs);
  }

  private static NDArray callBody(String name, String body, String arguments, NDArray... inputs) {
    PtSymbolBlock module = module(name, body, arguments, inputs[0]);
    JniUtils.setGraphExecutorOptimize(false);
    try {
      // training mode: the module's ops are recorded by the caller's autograd like any other op
      return IValueUtils.forward(module, new NDList(inputs), true).singletonOrThrow();
    } finally {
      JniUtils.setGraphExecutorOptimize(
          Boolean.parseBoolean(System.getProperty("ai.djl.pytorch.graph_optimizer", "true")));
    }
  }

  private static PtSymbolBlock module(String name, String body, String arguments, NDArray like) {
    return MODULES.computeIfAbsent(name, n -> load(n, body, arguments, like));
  }

  private static PtSymbolBlock load(String name, String body, String arguments, NDArray like) {
    PtNDManager manager = (PtNDManager) like.getManager().getEngine().newBaseManager(like.getDevice());
    byte[] archive = archiveWithBody(name, body, arguments);
    try {
      return JniUtils.loadModule(manager, new ByteArrayInputStream(archive), false, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the TorchScript module for " + name, e);
    }
  }

  /**
   * The TorchScript archive of a module {@code __torch__.<Name>} whose {@code forward(arguments)} returns
   * {@code expression}: {@code code/__torch__.py} (the class), {@code data.pkl} (the module object: a pickle
   * of the class with its one attribute, {@code training = True}), {@code constants.pkl} (an empty tuple),
   * {@code version} (serialization format 3, which every libtorch since 1.5 reads).
   */
  static byte[] archive(String name, String expression, String arguments) {
    return archiveWithBody(name, "    return " + expression + "\n", arguments);
  }

  /** {@link #archive} with the statements of {@code forward} given as they are (indented four spaces). */
  private static byte[] archiveWithBody(String name, String body, String arguments) {
    String cls = "Op_" + name;
    String code = "class " + cls + "(Module):\n"
        + "  __parameters__ = []\n"
        + "  __buffers__ = []\n"
        + "  training : bool\n"
        + "  def forward(self: __torch__." + cls + ", " + arguments + ") -> Tensor:\n"
        + body;
    ByteArrayOutputStream pickle = new ByteArrayOutputStream();
    pickle.writeBytes(new byte[] {(byte) 0x80, 2}); // PROTO 2
    pickle.writeBytes(("c__torch__\n" + cls + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
    pickle.writeBytes(new byte[] {')', (byte) 0x81, '}', '('}); // EMPTY_TUPLE NEWOBJ EMPTY_DICT MARK
    pickle.write('X'); // BINUNICODE "training"
    byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
    pickle.writeBytes(new byte[] {(byte) key.length, 0, 0, 0});
    pickle.writeBytes(key);
    pickle.writeBytes(new byte[] {(byte) 0x88, 'u', 'b', '.'}); // NEWTRUE SETITEMS BUILD STOP
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      String root = cls + "/";
      StoredZipEntries.put(zip, root + "data.pkl", pickle.toByteArray());
      StoredZipEntries.put(zip, root + "code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
      StoredZipEntries.put(zip, root + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      StoredZipEntries.put(zip, root + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
