package dev.jdiffusion.trainer.unet;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.core.io.StoredZipEntries;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch's single-kernel {@code silu} and {@code group_norm}, which DJL 0.35 does not expose, a
 * convolution that avoids a oneDNN defect ({@link #conv2d(NDArray, NDArray, NDArray, int, int)}), and the
 * optimizer's kernels over lists of tensors ({@link #adamw}, {@link #movingAverage}, {@link #globalNorm}),
 * reached through TorchScript: each op is a small TorchScript module whose source this class writes at run
 * time (a TorchScript archive is a zip of Python-syntax source and a small pickle; libtorch compiles the
 * source when it loads the archive) and loads once per process through DJL. Called in training mode, the module
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

  /**
   * The channel counts (input and output) a convolution needs for {@link #nchwRoute}: a multiple of the
   * largest channel block oneDNN copies activations into on CPUs with AVX-512 (16 in float32, up to 32 in
   * some of its kernels: 48 input channels at stride 2 were corrupted on the test machine).
   */
  static final int NCHW_CHANNEL_BLOCK = 32;

  /** {@link #nchwRoute}'s probe results, by input shape, weight shape, stride, padding, type and device. */
  private static final Map<String, Boolean> NCHW_AGREES = new ConcurrentHashMap<>();

  /** The largest relative difference between the two float32 convolution routes that {@link #agree} accepts. */
  private static final double PROBE_TOLERANCE = 1e-3;

  /** {@link #PROBE_TOLERANCE} for bfloat16 and float16 convolutions. */
  private static final double PROBE_TOLERANCE_LOW_PRECISION = 0.03;

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
    if (!plain(block) || !available(x)) {
      return block.forward(ps, new NDList(x), training).singletonOrThrow();
    }
    NDArray weight = ps.getValue(block.getParameters().get("weight"), x.getDevice(), training);
    NDArray bias = ps.getValue(block.getParameters().get("bias"), x.getDevice(), training);
    return conv2d(x, weight, bias, Math.toIntExact(stride.get(0)), Math.toIntExact(padding.get(0)));
  }

  /**
   * Whether the convolution of an {@code xShape} input with a {@code weightShape} weight, computed in {@code
   * type}, runs on the NCHW array as it is ({@code torch.conv2d} without the channels-last copies). The NCHW
   * route needs no layout copy before or after the convolution, and its input gradient comes back in the
   * layout of the arrays group norm and SiLU saved: training steps ran 1.2 to 1.3 times as fast with it
   * (docs/benchmarks.md). It is taken only where both hold:
   * <ul>
   *   <li>input and output channel counts are multiples of {@value #NCHW_CHANNEL_BLOCK}, so that none of
   *       oneDNN's blocked copies has a padded channel block. The oneDNN defect described at {@link
   *       #conv2d(NDArray, NDArray, NDArray, int, int)} lives in those padded copies: on this project's test
   *       machine it corrupted 448 of 4689 probed shapes (batch 1 to 64, 4x4 to 64x64, 8 to 192 channels,
   *       3x3 and 1x1, strides 1 and 2, float32 and bfloat16, one, two and four threads), every one with a
   *       channel count that is not a multiple of 32 (among them 48 input channels at stride 2), and none of
   *       the 1761 whose counts both are (docs/testing.md);</li>
   *   <li>libtorch's own NCHW route, probed once per shape and type in this process ({@link #probeNchw}) on
   *       memory filled with NaN first, gives the values and gradients of the channels-last route, which
   *       {@code ConvolutionTest} and {@code MixedPrecisionConvolutionTest} hold to direct sums: a guard for
   *       machines whose oneDNN blocks channels differently.</li>
   * </ul>
   * Inputs of one channel or one pixel take libtorch's im2col convolution either way.
   */
  static boolean nchwRoute(Shape xShape, Shape weightShape, int stride, int padding, Autocast.ComputeType type,
      NDArray like) {
    if (!nchwCandidate(xShape, weightShape)) {
      return false;
    }
    String key = xShape + " " + weightShape + " s" + stride + " p" + padding + " " + type + " " + like.getDevice();
    return NCHW_AGREES.computeIfAbsent(key, k -> probeNchw(xShape, weightShape, stride, padding, type, like));
  }

  /**
   * Whether a convolution of these shapes may take the NCHW route at all (before the probe): a 4-d input of
   * more than one image and more than one pixel, input and output channels multiples of {@value
   * #NCHW_CHANNEL_BLOCK}. A single image (an inference call; training batches are larger) takes the
   * channels-last route without a probe: the probe's backward pass of a one-image convolution asks NNPACK
   * for its kernel, which prints a warning where NNPACK cannot start ({@link #passesOverOneDnn}).
   */
  static boolean nchwCandidate(Shape xShape, Shape weightShape) {
    return xShape.dimension() == 4 && xShape.get(0) > 1 && xShape.get(2) * xShape.get(3) > 1
        && xShape.get(1) % NCHW_CHANNEL_BLOCK == 0 && weightShape.get(0) % NCHW_CHANNEL_BLOCK == 0;
  }

  /**
   * Whether {@code block}'s convolution of an {@code x}-shaped input reads a channels-last array (the route of
   * {@link #conv2d(Conv2d, ParameterStore, NDArray, boolean)} under the current {@link Autocast} type): true for
   * the channels-last route, false for the NCHW route, the im2col route and DJL's own convolution.
   */
  static boolean readsChannelsLast(Conv2d block, NDArray x) {
    if (!plain(block) || !available(x)) {
      return false;
    }
    Shape weightShape = block.getParameters().get("weight").getArray().getShape();
    Shape shape = x.getShape();
    if (shape.dimension() != 4 || shape.get(1) == 1 || shape.get(2) * shape.get(3) == 1) {
      return false; // the im2col route
    }
    return !nchwRoute(shape, weightShape, Math.toIntExact(block.getStride().get(0)),
        Math.toIntExact(block.getPadding().get(0)), convolutionType(weightShape.get(0), Autocast.current()), x);
  }

  /** The type a convolution with {@code outChannels} output channels computes in when {@code requested}. */
  private static Autocast.ComputeType convolutionType(long outChannels, Autocast.ComputeType requested) {
    return outChannels % LOW_PRECISION_CHANNEL_BLOCK == 0 ? requested : Autocast.ComputeType.FP32;
  }

  /**
   * Runs one convolution of random data (a fixed seed, drawn in Java: libtorch's generator, which training
   * draws its noise from, is left alone) both ways, NCHW and channels-last, in {@code type}, with the
   * backward pass of {@code sum(y * g)} for a random {@code g}, and says whether the outputs and the
   * gradients of input, weight and bias {@link #agree} within {@code type}'s tolerance. Float32 summation
   * orders differ by about 1e-6 of the largest magnitude, and the low precisions' by a rounding of their
   * results; the defect's errors are of the order of the values themselves (or NaN).
   */
  static boolean probeNchw(Shape xShape, Shape weightShape, int stride, int padding,
      Autocast.ComputeType type, NDArray like) {
    float[] differences;
    try (NDManager manager = like.getManager().newSubManager()) {
      poison(manager, xShape, weightShape);
      differences = routeDifferences(expression("xb", "wb", "bb", stride, padding, type), "nchw" + suffix(type),
          xShape, weightShape, stride, padding, type, manager);
    }
    if (agree(differences, type)) {
      return true;
    }
    LOG.debug("convolution {} {} stride {} padding {} in {}: libtorch's NCHW route differs from the channels-last "
        + "route here (relative differences of output, input, weight and bias gradients {}); using channels-last",
        xShape, weightShape, stride, padding, type, Arrays.toString(differences));
    return false;
  }

  /**
   * Fills memory the allocator will hand out next with NaN: arrays of NaN about the size of the convolution's
   * blocked copies are allocated and freed, so that a copy that leaves part of its destination unwritten
   * reads NaN there, which the probe refuses, rather than zeros or stale numbers that may happen to pass.
   * (Freed memory is reused when the allocator keeps it, as glibc does under the launcher's malloc settings
   * and as libtorch's caching allocator does on a GPU; where it is returned to the system instead, the fresh
   * pages are zero, and the channel-count rule of {@link #nchwRoute} is the guarantee.)
   */
  private static void poison(NDManager manager, Shape xShape, Shape weightShape) {
    long spatial = (xShape.get(2) + 2) * (xShape.get(3) + 2);
    long channels = Math.max(xShape.get(1), weightShape.get(0)) + NCHW_CHANNEL_BLOCK;
    long size = xShape.get(0) * channels * spatial;
    List<NDArray> arrays = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      arrays.add(manager.full(new Shape(size + 64L * i), Float.NaN));
      arrays.add(manager.full(new Shape(size / 4 + 64L * i), Float.NaN));
    }
    arrays.forEach(NDArray::close);
  }

  /**
   * TorchScript for the convolution of {@code x, w, b} in {@code type}: the arguments cast to it and the
   * result cast back to float32 for a low precision.
   */
  private static String expression(String x, String w, String b, int stride, int padding,
      Autocast.ComputeType type) {
    String to = type == Autocast.ComputeType.FP32 ? "" : ".to(" + type.scalarType() + ")";
    return "torch.conv2d(" + x + to + ", " + w + to + ", " + b + to + ", [" + stride + ", " + stride + "], ["
        + padding + ", " + padding + "])" + (to.isEmpty() ? "" : ".to(" + FLOAT32 + ")");
  }

  /**
   * How far {@code candidate}, a TorchScript expression of a convolution of {@code xb, wb, bb} (contiguous
   * NCHW input, weight, bias, all float32 and returning float32), is from the channels-last route in {@code
   * type} on random data of these shapes: the largest absolute difference over the largest magnitude, for the
   * output and for the gradients of {@code sum(y * g)} with respect to input, weight and bias, in that order
   * (NaN where either side is not finite).
   *
   * @param name distinguishes candidates in the module cache
   */
  static float[] routeDifferences(String candidate, String name, Shape xShape, Shape weightShape, int stride,
      int padding, Autocast.ComputeType type, NDManager manager) {
    // the candidate first, so that memory it might leave unwritten cannot hold the reference's numbers
    String body = "    xb = x.contiguous().clone().requires_grad_(True)\n"
        + "    wb = weight.clone().requires_grad_(True)\n"
        + "    bb = bias.clone().requires_grad_(True)\n"
        + "    yb = " + candidate + "\n"
        + "    gb = torch.autograd.grad([(yb * g).sum()], [xb, wb, bb])\n"
        + "    xa = x.contiguous(memory_format=" + CHANNELS_LAST + ").requires_grad_(True)\n"
        + "    wa = weight.clone().requires_grad_(True)\n"
        + "    ba = bias.clone().requires_grad_(True)\n"
        + "    ya = " + expression("xa", "wa", "ba", stride, padding, type) + "\n"
        + "    ga = torch.autograd.grad([(ya * g).sum()], [xa, wa, ba])\n"
        + "    pairs = [(ya.detach(), yb.detach())]\n"
        + "    for i in range(3):\n"
        + "      a = ga[i]\n"
        + "      c = gb[i]\n"
        + "      assert a is not None\n"
        + "      assert c is not None\n"
        + "      pairs.append((a, c))\n"
        + "    out: List[Tensor] = []\n"
        + "    for pair in pairs:\n"
        + "      out.append((pair[0] - pair[1]).abs().max() / pair[0].abs().max())\n"
        + "    return torch.stack(out)\n";
    SplittableRandom random = new SplittableRandom(0x5eedL ^ xShape.hashCode() ^ weightShape.hashCode());
    NDArray x = manager.create(uniform(random, xShape.size()), xShape);
    NDArray w = manager.create(uniform(random, weightShape.size()), weightShape);
    Shape biasShape = new Shape(weightShape.get(0));
    NDArray b = manager.create(uniform(random, biasShape.size()), biasShape);
    long outH = (xShape.get(2) + 2L * padding - weightShape.get(2)) / stride + 1;
    long outW = (xShape.get(3) + 2L * padding - weightShape.get(3)) / stride + 1;
    Shape yShape = new Shape(xShape.get(0), weightShape.get(0), outH, outW);
    NDArray g = manager.create(uniform(random, yShape.size()), yShape);
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
    try {
      return callBody("conv2d_probe_" + name + "_s" + stride + "_p" + padding + suffix(type), body,
          "x: Tensor, weight: Tensor, bias: Tensor, g: Tensor", x, w, b, g).toFloatArray();
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /**
   * Whether every relative difference from {@link #routeDifferences} is at most {@value #PROBE_TOLERANCE} in
   * float32, {@value #PROBE_TOLERANCE_LOW_PRECISION} in a low precision (where the two routes may round a
   * result to neighbouring values, 2^-8 apart in bfloat16); NaN never agrees.
   */
  static boolean agree(float[] differences, Autocast.ComputeType type) {
    double tolerance = type == Autocast.ComputeType.FP32 ? PROBE_TOLERANCE : PROBE_TOLERANCE_LOW_PRECISION;
    for (float d : differences) {
      if (!(d <= tolerance)) { // NaN too
        return false;
      }
    }
    return true;
  }

  /**
   * {@code n} numbers drawn uniformly from {@code [-1, 1)}. (Not Gaussian: {@code Random.nextGaussian} made
   * the probes of a UNet's 20-odd shapes take about 3.5 s of every training process's start; the defect the
   * probe looks for gives errors of the size of the values themselves, or NaN, whatever the distribution.)
   */
  private static float[] uniform(SplittableRandom random, long n) {
    float[] a = new float[Math.toIntExact(n)];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (2 * random.nextDouble() - 1);
    }
    return a;
  }

  /** One group, no dilation, a bias, the same stride and padding on both axes: what the TorchScript routes take. */
  private static boolean plain(Conv2d block) {
    Shape stride = block.getStride();
    Shape padding = block.getPadding();
    return block.getGroups() == 1 && block.isIncludeBias()
        && new Shape(1, 1).equals(block.getDilation())
        && stride.dimension() == 2 && stride.get(0) == stride.get(1)
        && padding.dimension() == 2 && padding.get(0) == padding.get(1);
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
   * {@code conv2d}), returned in the usual contiguous NCHW layout. It runs on the NCHW array as
   * it is where the channel counts keep clear of the defect below and a probe of this shape found libtorch's
   * NCHW route right ({@link #nchwRoute}), else on a channels-last (NHWC) copy of {@code x} (the ops around
   * the convolutions are slower on channels-last arrays: in one profiled unet-xs step, libtorch's group norm
   * and its backward took 20 to 30 times as long, so the output goes back to NCHW).
   *
   * <p>Why not always the NCHW convolution DJL calls: libtorch's CPU convolutions run on oneDNN, which copies
   * NCHW arrays into blocked layouts (channels in blocks of 8 to 32, the last block padded when the
   * channel count is not a multiple). The oneDNN 3.7.1 inside libtorch 2.7.1 sizes the loop blocking of
   * those copies by the L1 cache size it reads with CPUID; where a hypervisor hides AMD's cache leaf
   * ({@code 0x8000001D}, as Firecracker does) it computes a 1-byte cache, and its copies into padded
   * layouts then skip most of the data. The skipped part keeps whatever the memory held before: input
   * gradients of every 3x3 convolution whose output width is not a multiple of 16 (and the outputs of
   * some input widths) came out wrong, and NaN where that memory held NaN bit patterns. On a channels-last
   * input oneDNN reads and writes the activations where they are, and its weight copies start from a
   * channels-last weight; {@code ConvolutionTest} checks both routes, as {@link #nchwRoute} picks them,
   * against a direct sum. In the reference UNets every convolution but the first and the last (one image
   * channel in or out) takes the NCHW route. An input of one
   * channel, or of one pixel, is channels-last and NCHW at once, and libtorch takes the NCHW route for it,
   * so such inputs run on libtorch's im2col convolution ({@code thnn_conv2d}), which is cheap at those
   * sizes.
   */
  public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
    return conv2d(x, weight, bias, stride, padding, Autocast.current());
  }

  /**
   * Whether libtorch 2.x runs a float32 CPU convolution of these shapes (no groups, no dilation) on its im2col
   * kernel rather than oneDNN: for a single image of at most 20480 values with kernels up to 3x3, and for 1x1
   * kernels at stride 1 below a batch of 16 on one thread (its size rule in {@code ConvParams::use_mkldnn}).
   * Such calls run {@code thnn_conv2d}, that kernel, directly: through {@code torch.conv2d} libtorch would
   * first ask NNPACK, and where NNPACK cannot start (it needs AVX2 and a visible L3 cache; virtual machines
   * often hide the cache) it prints a warning on every such call, dozens per forward pass at batch 1. The
   * numbers are the same; where libtorch's rule differs, such a call merely takes the im2col kernel.
   */
  static boolean passesOverOneDnn(Shape xShape, Shape weightShape, int stride, int threads) {
    long n = xShape.get(0);
    boolean oneByOne = weightShape.get(2) == 1 && weightShape.get(3) == 1;
    boolean sizeRule = stride > 1 || n >= 16 || !oneByOne || threads > 1;
    boolean smallRule = (weightShape.get(2) > 3 && weightShape.get(3) > 3) || n > 1 || xShape.size() > 20480;
    return !(sizeRule && smallRule);
  }

  /**
   * {@link #conv2d(NDArray, NDArray, NDArray, int, int)} computed in {@code type}: for a low precision,
   * input, weight and bias are cast to it on the way in (so autograd returns float32 gradients) and the
   * output is cast back to float32 (on the channels-last route in the same pass that restores the NCHW
   * layout; the probe of {@link #nchwRoute} chooses the route per shape and type). Inputs of one channel or
   * one pixel (the thnn route) stay float32: libtorch's im2col convolution has no fast low-precision
   * kernel, and they are a tiny share of the work. So do convolutions whose output channel count is not a
   * multiple of 8 (in these networks only the last one, to the image's channels): on this project's test
   * machine oneDNN's bfloat16 backward-data pass returned zeros and wrong values for 1 and 3 output
   * channels, even on channels-last arrays ({@code MixedPrecisionConvolutionTest} holds those shapes).
   */
  public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding,
      Autocast.ComputeType computeType) {
    Autocast.ComputeType type = convolutionType(weight.getShape().get(0), computeType);
    String s = "[" + stride + ", " + stride + "]";
    String p = "[" + padding + ", " + padding + "]";
    if (type == Autocast.ComputeType.FP32 && Device.Type.CPU.equals(x.getDevice().getDeviceType())
        && passesOverOneDnn(x.getShape(), weight.getShape(), stride, JniUtils.getNumThreads())) {
      return callBody("conv2d_thnn_s" + stride + "_p" + padding,
          "    return torch.thnn_conv2d(x.contiguous(), weight, [weight.size(2), weight.size(3)], bias, " + s + ", "
              + p + ")\n",
          "x: Tensor, weight: Tensor, bias: Tensor", x, weight, bias);
    }
    if (nchwRoute(x.getShape(), weight.getShape(), stride, padding, type, x)) {
      return callBody("conv2d_nchw_s" + stride + "_p" + padding + suffix(type),
          "    return " + expression("x.contiguous()", "weight", "bias", stride, padding, type) + "\n",
          "x: Tensor, weight: Tensor, bias: Tensor", x, weight, bias);
    }
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
   * Whether {@link #residualBlock} computes a {@link ResidualBlock} with these convolution weights for an input
   * like {@code x} in {@code type}: bfloat16 on the CPU, this engine, a 4-d input whose groups hold at least two
   * values each (as {@link GroupNorm#groupNorm} needs for libtorch's kernel), and both 3x3 convolutions on the
   * NCHW route ({@link #nchwRoute}, which checks their channel counts and probes the route in bfloat16). Elsewhere
   * (float16, a GPU, other channel counts) the block runs op by op, each convolution casting on its own.
   */
  static boolean lowPrecisionResidualRoute(NDArray x, Shape conv1Weight, Shape conv2Weight, int groups1,
      int groups2, Autocast.ComputeType type) {
    Shape s = x.getShape();
    if (type != Autocast.ComputeType.BF16 || !Device.Type.CPU.equals(x.getDevice().getDeviceType())
        || s.dimension() != 4 || !available(x)) {
      return false;
    }
    // the NCHW route's channel rule (multiples of 32) also keeps both convolutions in bfloat16 (multiples of 8)
    Shape h = new Shape(s.get(0), conv1Weight.get(0), s.get(2), s.get(3));
    return GroupNorm.libtorchKernelTakes(s, groups1) && GroupNorm.libtorchKernelTakes(h, groups2)
        && nchwRoute(s, conv1Weight, 1, 1, type, x) && nchwRoute(h, conv2Weight, 1, 1, type, x);
  }

  /**
   * {@link ResidualBlock}'s output {@code shortcut + conv2(silu(gn2(conv1(silu(gn1(x))) + t)))} with the
   * activations between its two convolutions in {@code type} (bfloat16), in one call, where {@link
   * #lowPrecisionResidualRoute} holds. {@code x (B, Cin, H, W)}, {@code shortcut (B, Cout, H, W)} and the
   * returned array are float32; {@code t (B, Cout)} is the timestep projection; the parameters are float32 and
   * cast on the way in, so their gradients arrive in float32.
   *
   * <p>The op-by-op block casts each convolution's input to bfloat16 and its output back to float32, so
   * group norm, SiLU and the timestep addition read and write float32 and every convolution costs two casts
   * each way. Here {@code x} is cast once; group norm runs libtorch's mixed-type kernel (bfloat16 values,
   * float32 gains and biases, statistics and normalization computed in float32, the result rounded to
   * bfloat16), SiLU and the timestep addition run on bfloat16, and the second convolution's bfloat16 output
   * is added to the float32 shortcut in the same pass that widens it, so the residual stream stays float32.
   * What it changes in the numbers: group norm's input and the SiLU outputs are rounded to bfloat16 where the
   * op-by-op block rounded only the convolution inputs (the same rounding, one op earlier).
   */
  public static NDArray residualBlock(NDArray x, NDArray gamma1, NDArray beta1, int groups1, NDArray w1,
      NDArray c1, NDArray t, NDArray gamma2, NDArray beta2, int groups2, NDArray w2, NDArray c2, NDArray shortcut,
      Autocast.ComputeType type) {
    int d = type.scalarType();
    String body = "    h = torch.silu(torch.group_norm(x.to(" + d + ", False, False, " + CONTIGUOUS + "), " + groups1
        + ", g1, b1, " + EPSILON + "))\n"
        + "    h = torch.conv2d(h, w1.to(" + d + "), c1.to(" + d + "), [1, 1], [1, 1])\n"
        + "    h = torch.silu(torch.group_norm(h + t.to(" + d + ").unsqueeze(2).unsqueeze(3), " + groups2
        + ", g2, b2, " + EPSILON + "))\n"
        + "    return s + torch.conv2d(h, w2.to(" + d + "), c2.to(" + d + "), [1, 1], [1, 1])\n";
    return callBody("residual_block_g" + groups1 + "_g" + groups2 + suffix(type), body,
        "x: Tensor, g1: Tensor, b1: Tensor, w1: Tensor, c1: Tensor, t: Tensor, g2: Tensor, b2: Tensor, w2: Tensor, "
            + "c2: Tensor, s: Tensor", x, gamma1, beta1, w1, c1, t, gamma2, beta2, w2, c2, shortcut);
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

  /** {@link #adamw}'s module: libtorch's fused AdamW over lists of tensors, then the gradients zeroed. */
  private static final String[] ADAMW = {"adamw",
      "    torch._fused_adamw_(p, g, m, v, [], steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, "
          + "eps=eps, amsgrad=False, maximize=False, grad_scale=divisor, found_inf=None)\n"
          + "    torch._foreach_zero_(g)\n"
          + "    return None\n",
      "p: List[Tensor], g: List[Tensor], m: List[Tensor], v: List[Tensor], steps: List[Tensor], lr: float, "
          + "beta1: float, beta2: float, weight_decay: float, eps: float, divisor: Tensor",
      "None"};

  /** {@link #movingAverage}'s module. */
  private static final String[] MOVING_AVERAGE = {"moving_average",
      "    torch._foreach_lerp_(a, x, w)\n    return None\n", "a: List[Tensor], x: List[Tensor], w: float", "None"};

  /** {@link #copy}'s module. */
  private static final String[] COPY = {"copy",
      "    torch._foreach_copy_(a, x)\n    return None\n", "a: List[Tensor], x: List[Tensor]", "None"};

  /** {@link #globalNorm}'s module. */
  private static final String[] GLOBAL_NORM = {"global_norm",
      "    return torch.linalg_vector_norm(torch.stack(torch._foreach_norm(x)))\n", "x: List[Tensor]", "Tensor"};

  /** Whether the optimizer's modules ({@link #adamw} and the others) loaded; {@code null} until first asked. */
  private static volatile Boolean optimizerLoadable;

  /**
   * Whether {@link #adamw}, {@link #movingAverage} and {@link #globalNorm} run for arrays like {@code x}: {@link
   * #available} and a libtorch with the fused and list ("foreach") kernels they call (2.4 and later; DJL can be
   * pointed at older natives). Otherwise callers update tensor by tensor, and the reason is logged once.
   */
  public static boolean optimizerKernelsAvailable(NDArray x) {
    if (!available(x)) {
      return false;
    }
    Boolean ok = optimizerLoadable;
    if (ok == null) {
      synchronized (FusedOps.class) {
        if (optimizerLoadable == null) {
          try {
            for (String[] spec : List.of(ADAMW, MOVING_AVERAGE, GLOBAL_NORM, COPY)) {
              module(spec, x);
            }
            optimizerLoadable = true;
          } catch (RuntimeException e) {
            LOG.warn("libtorch's fused AdamW and list kernels are not reachable here ({}); the optimizer updates "
                + "tensor by tensor, which is slower", e.toString());
            optimizerLoadable = false;
          }
        }
        ok = optimizerLoadable;
      }
    }
    return ok;
  }

  /**
   * One AdamW update of every tensor of {@code params} by libtorch's fused kernel, then their gradients set to
   * zero, in one call from Java. {@code torch._fused_adamw_} (CPU and CUDA) reads each parameter, gradient
   * and moment once and writes them once, where DJL's per-tensor {@code adamUpdate} runs about a dozen
   * kernels and makes five temporaries per tensor (docs/benchmarks.md). Per element, with {@code g} the
   * gradient times {@code gradientScale}:
   * <pre>
   *   p = p (1 - lr wd);   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
   *   p = p - lr / (1 - beta1^step) m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
   * </pre>
   * Only where {@link #optimizerKernelsAvailable} holds.
   *
   * @param step the number of this update, counted from 1 (the bias corrections use it)
   */
  public static void adamw(List<NDArray> params, List<NDArray> grads, List<NDArray> means, List<NDArray> variances,
      long step, double lr, double beta1, double beta2, double weightDecay, double epsilon, double gradientScale) {
    NDArray like = params.get(0);
    NDManager scratch = like.getManager(); // on the parameters' device, where the kernel wants both scalars
    try (NDArray stepCount = scratch.create((float) step);
        NDArray divisor = scratch.create((float) (1 / gradientScale))) {
      PtNDArray[] steps = new PtNDArray[params.size()];
      Arrays.fill(steps, (PtNDArray) stepCount); // the kernel only reads each tensor's step
      runVoid(ADAMW, like, IValue.listFrom(pt(params)), IValue.listFrom(pt(grads)), IValue.listFrom(pt(means)),
          IValue.listFrom(pt(variances)), IValue.listFrom(steps), IValue.from(lr), IValue.from(beta1),
          IValue.from(beta2), IValue.from(weightDecay), IValue.from(epsilon), IValue.from((PtNDArray) divisor));
    }
  }

  /**
   * {@code average = decay average + (1 - decay) values}, in place, for every pair of tensors, in one call
   * ({@code torch._foreach_lerp_} with weight {@code 1 - decay}: {@code average + (1 - decay) (values -
   * average)}, the same average). Only where {@link #optimizerKernelsAvailable} holds.
   */
  public static void movingAverage(List<NDArray> average, List<NDArray> values, double decay) {
    runVoid(MOVING_AVERAGE, average.get(0), IValue.listFrom(pt(average)), IValue.listFrom(pt(values)),
        IValue.from(1 - decay));
  }

  /**
   * {@code to[i] = from[i]}, in place, for every pair (same shapes; {@code torch._foreach_copy_}), in one call and
   * on the arrays' devices. DJL's {@code NDArray.copyTo} goes through a host buffer and, on libtorch 2.x,
   * prints a deprecation warning of its native code once per process. Only where {@link
   * #optimizerKernelsAvailable} holds.
   */
  public static void copy(List<NDArray> to, List<NDArray> from) {
    runVoid(COPY, to.get(0), IValue.listFrom(pt(to)), IValue.listFrom(pt(from)));
  }

  /**
   * The Euclidean norm of all {@code arrays} taken together, {@code sqrt(sum_i ||a_i||^2)}, as the norm of
   * the per-array norms ({@code torch._foreach_norm}), in one call, in float32. Only where {@link
   * #optimizerKernelsAvailable} holds.
   */
  public static float globalNorm(List<NDArray> arrays) {
    NDArray like = arrays.get(0);
    PtSymbolBlock module = module(GLOBAL_NORM, like);
    try (IValue list = IValue.listFrom(pt(arrays));
        IValue result = onSimpleExecutor(() -> IValueUtils.runMethod(module, "forward", list));
        NDArray norm = result.toTensor((PtNDManager) like.getManager())) {
      return norm.getFloat();
    }
  }

  private static PtNDArray[] pt(List<NDArray> arrays) {
    return arrays.stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new);
  }

  /** The module of {@code spec} (name, statements, arguments, return type), loaded once. */
  private static PtSymbolBlock module(String[] spec, NDArray like) {
    return MODULES.computeIfAbsent(spec[0], n -> load(n, spec[1], spec[2], spec[3], like));
  }

  /** Runs {@code spec}'s module (statements that work in place) on {@code values} outside autograd; closes them. */
  private static void runVoid(String[] spec, NDArray like, IValue... values) {
    PtSymbolBlock module = module(spec, like);
    try {
      onSimpleExecutor(() -> IValueUtils.runMethod(module, "forward", values)).close();
    } finally {
      for (IValue v : values) {
        v.close();
      }
    }
  }

  /** {@code call} on TorchScript's simple executor (see the class comment), DJL's setting restored after. */
  private static <T> T onSimpleExecutor(Supplier<T> call) {
    JniUtils.setGraphExecutorOptimize(false);
    try {
      return call.get();
    } finally {
      JniUtils.setGraphExecutorOptimize(
          Boolean.parseBoolean(System.getProperty("ai.djl.pytorch.graph_optimizer", "true")));
    }
  }

  private static String suffix(Autocast.ComputeType type) {
    return type == Autocast.ComputeType.FP32 ? "" : "_" + type.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static NDArray call(String name, String expression, String arguments, NDArray... inputs) {
    return callBody(name, "    return " + expression + "\n", arguments, inputs);
  }

  private static NDArray callBody(String name, String body, String arguments, NDArray... inputs) {
    PtSymbolBlock module = module(name, body, arguments, inputs[0]);
    // training mode: the module's ops are recorded by the caller's autograd like any other op
    return onSimpleExecutor(() -> IValueUtils.forward(module, new NDList(inputs), true).singletonOrThrow());
  }

  private static PtSymbolBlock module(String name, String body, String arguments, NDArray like) {
    return MODULES.computeIfAbsent(name, n -> load(n, body, arguments, "Tensor", like));
  }

  private static PtSymbolBlock load(String name, String body, String arguments, String returns, NDArray like) {
    PtNDManager manager = (PtNDManager) like.getManager().getEngine().newBaseManager(like.getDevice());
    byte[] archive = archiveWithBody(name, body, arguments, returns);
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
    return archiveWithBody(name, "    return " + expression + "\n", arguments, "Tensor");
  }

  /**
   * {@link #archive} with the statements of {@code forward} given as they are (indented four spaces) and its
   * return type.
   */
  private static byte[] archiveWithBody(String name, String body, String arguments, String returns) {
    String cls = "Op_" + name;
    String code = "class " + cls + "(Module):\n"
        + "  __parameters__ = []\n"
        + "  __buffers__ = []\n"
        + "  training : bool\n"
        + "  def forward(self: __torch__." + cls + ", " + arguments + ") -> " + returns + ":\n"
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
