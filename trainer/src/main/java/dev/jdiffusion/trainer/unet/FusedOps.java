package dev.jdiffusion.trainer.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
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
 * libtorch's single-kernel {@code silu} and {@code group_norm}, which DJL 0.35 does not expose, reached
 * through TorchScript: each op is a one-line TorchScript module whose source this class writes at run time
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
 * the composed formulas otherwise, and a failed load is logged once.
 */
public final class FusedOps {
  private FusedOps() {}

  /** {@link GroupNorm#EPSILON} as a TorchScript literal. */
  private static final String EPSILON = "1e-05";

  private static final String SILU = "silu";
  private static final String SILU_EXPRESSION = "torch.silu(x)";
  private static final String ONE_TENSOR = "x: Tensor";

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
            module(SILU, SILU_EXPRESSION, ONE_TENSOR, x);
            loadable = true;
          } catch (RuntimeException e) {
            LOG.warn("libtorch's silu and group_norm are not reachable through TorchScript here ({}); "
                + "using the composed formulas, which are slower", e.toString());
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
   * Group norm of {@code x (B, C, ...)} in {@code groups} groups with per-channel {@code gamma} and
   * {@code beta} (shape {@code (C)}) as libtorch's {@code group_norm}, epsilon {@link GroupNorm#EPSILON}.
   */
  public static NDArray groupNorm(NDArray x, NDArray gamma, NDArray beta, int groups) {
    return call("group_norm_" + groups,
        "torch.group_norm(x, " + groups + ", gamma, beta, " + EPSILON + ")",
        "x: Tensor, gamma: Tensor, beta: Tensor", x, gamma, beta);
  }

  private static NDArray call(String name, String expression, String arguments, NDArray... inputs) {
    PtSymbolBlock module = module(name, expression, arguments, inputs[0]);
    JniUtils.setGraphExecutorOptimize(false);
    try {
      // training mode: the module's ops are recorded by the caller's autograd like any other op
      return IValueUtils.forward(module, new NDList(inputs), true).singletonOrThrow();
    } finally {
      JniUtils.setGraphExecutorOptimize(
          Boolean.parseBoolean(System.getProperty("ai.djl.pytorch.graph_optimizer", "true")));
    }
  }

  private static PtSymbolBlock module(String name, String expression, String arguments, NDArray like) {
    return MODULES.computeIfAbsent(name, n -> load(n, expression, arguments, like));
  }

  private static PtSymbolBlock load(String name, String expression, String arguments, NDArray like) {
    PtNDManager manager = (PtNDManager) like.getManager().getEngine().newBaseManager(like.getDevice());
    byte[] archive = archive(name, expression, arguments);
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
    String cls = "Op_" + name;
    String code = "class " + cls + "(Module):\n"
        + "  __parameters__ = []\n"
        + "  __buffers__ = []\n"
        + "  training : bool\n"
        + "  def forward(self: __torch__." + cls + ", " + arguments + ") -> Tensor:\n"
        + "    return " + expression + "\n";
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
