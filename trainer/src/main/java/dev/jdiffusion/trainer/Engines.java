package dev.jdiffusion.trainer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Engine set-up: the PyTorch engine, its thread counts and the device.
 *
 * <p>Threads: libtorch's intra-op pool is set to the cores available to the JVM unless the user set
 * {@code -Dai.djl.pytorch.num_threads}; oversubscribing the cores slows libtorch about tenfold on this
 * kind of machine (DESIGN.md). {@code JniUtils.setNumThreads} only works once the engine is loaded, so this
 * loads it first.
 *
 * <p>Devices: {@code auto} is {@link Engine#defaultDevice()}, which DJL documents as the first GPU when the
 * engine sees one and the CPU otherwise; {@code gpu:N} names a GPU, and naming one where the engine sees
 * none fails at once with one line. Only the CPU path was run here (the build ships the CPU natives of
 * libtorch); training on several GPUs is not implemented.
 */
public final class Engines {
  private static boolean threadsSet;
  private static final Object GENERATOR = new Object();

  private Engines() {}

  /** Loads the engine and sets its thread counts (once per JVM). */
  public static synchronized Engine pytorch() {
    Engine engine = Engine.getEngine("PyTorch");
    if (!threadsSet) {
      threadsSet = true;
      if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
        JniUtils.setNumThreads(Runtime.getRuntime().availableProcessors());
      }
    }
    return engine;
  }

  /**
   * Sets libtorch's intra-op threads for this process, whatever {@code -Dai.djl.pytorch.num_threads} said.
   * libtorch has one such setting per process: runs trained concurrently in one JVM each use this many
   * threads (OpenMP gives every calling thread its own team).
   *
   * @throws IllegalArgumentException when {@code n < 1}
   */
  public static synchronized void setThreads(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + n);
    }
    Engine.getEngine("PyTorch");
    threadsSet = true;
    JniUtils.setNumThreads(n);
  }

  /**
   * Seeds libtorch's random generator and runs {@code draws} (e.g. a network's initialization) while no other
   * thread can seed or draw through this method. The generator is one per process, so two runs initialised at
   * once in one JVM would otherwise interleave their draws and lose their reproducibility.
   */
  public static void seeded(int seed, Runnable draws) {
    Engine engine = pytorch();
    synchronized (GENERATOR) {
      engine.setRandomSeed(seed);
      draws.run();
    }
  }

  /** The device of a {@code training.device} value. */
  public static Device device(String name) {
    Engine engine = pytorch();
    return switch (name) {
      case "auto" -> engine.defaultDevice();
      case "cpu" -> Device.cpu();
      default -> {
        // "gpu" or "gpu:N" (DJL's own Device.fromName spells the latter "gpu1" and rejects "gpu:1")
        Device d = Device.gpu(name.equals("gpu") ? 0 : Integer.parseInt(name.substring("gpu:".length())));
        int gpus = engine.getGpuCount();
        if (d.isGpu() && gpus == 0) {
          throw new IllegalArgumentException("training.device = " + name + " but there is no usable GPU: "
              + "the PyTorch engine (libtorch " + engine.getVersion() + ") sees no CUDA device; it needs an "
              + "NVIDIA GPU and DJL's CUDA natives for libtorch (see \"Devices\" in README.md)");
        }
        if (d.isGpu() && d.getDeviceId() >= gpus) {
          throw new IllegalArgumentException("training.device = " + name + " but the engine sees "
              + gpus + " GPU(s), numbered from 0");
        }
        yield d;
      }
    };
  }

  /** Number of intra-op threads libtorch uses. */
  public static int threads() {
    pytorch();
    return JniUtils.getNumThreads();
  }
}
