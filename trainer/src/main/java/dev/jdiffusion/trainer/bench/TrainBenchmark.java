package dev.jdiffusion.trainer.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.DiffusionTrainer;
import dev.jdiffusion.trainer.Engines;
import dev.jdiffusion.trainer.Precision;
import dev.jdiffusion.trainer.StepRandom;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.WeightedDenoisingLoss;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Times the training step of a reference UNet (DESIGN.md, "Reference networks for benchmarks") the way
 * {@code benchmarks/pytorch_unet.py} times the same network in PyTorch: 1x32x32 images (3x32x32 and 3x64x64
 * for the RGB presets; 256 random images in [-1, 1], read through a {@link DatasetSource}), linear schedule, eps-prediction, uniform
 * weight, AdamW at 2e-4, gradient clipping at 1, EMA; untimed warm-up steps, then each step timed alone.
 */
public final class TrainBenchmark {
  private TrainBenchmark() {}

  /**
   * One benchmark's figures.
   *
   * @param imagesPerSecond timed images over the timed steps' total time
   * @param stepMsMedian median step time
   * @param cpuMsPerStep the process's CPU time (all threads, libtorch's included) over the timed steps, per
   *     step, -1 where the JVM does not report it: on a machine shared with other work, a measure of the
   *     arithmetic a step costs that waiting for a core does not inflate (spinning threads do: see
   *     docs/benchmarks.md for the settings that compare it fairly)
   * @param peakRssBytes the process's peak resident set ({@code VmHWM}), -1 where unknown
   */
  public record Result(String arch, String precision, int batch, int steps, int threads, long params, double imagesPerSecond,
      double stepMsMedian, double stepMsMin, double cpuMsPerStep, long peakRssBytes, double lastLoss, String image,
      String device) {

    /** One JSON object on one line. */
    public String toJson() {
      ObjectNode n = new ObjectMapper().createObjectNode();
      n.put("framework", "jdiffusion (DJL " + ai.djl.engine.Engine.getDjlVersion() + ", PyTorch "
          + Engines.pytorch().getVersion() + ")");
      n.put("arch", arch);
      n.put("precision", precision);
      n.put("batch", batch);
      n.put("steps", steps);
      n.put("threads", threads);
      n.put("params", params);
      n.put("images_per_s", Math.round(imagesPerSecond * 1000) / 1000.0);
      n.put("step_ms_median", Math.round(stepMsMedian * 1000) / 1000.0);
      n.put("step_ms_min", Math.round(stepMsMin * 1000) / 1000.0);
      n.put("cpu_ms_per_step", Math.round(cpuMsPerStep * 1000) / 1000.0);
      n.put("peak_rss_bytes", peakRssBytes);
      n.put("last_loss", lastLoss);
      n.put("malloc", mallocSettings());
      n.put("jit", jitSetting());
      n.put("image", image);
      n.put("device", device);
      return n.toString();
    }
  }

  /**
   * The memory allocation settings this process was started with (glibc's {@code MALLOC_*} and libtorch's
   * {@code THP_MEM_ALLOC_ENABLE} environment variables, which the launcher sets), or
   * {@code "glibc defaults"}: they change training speed by tens of percent (docs/benchmarks.md), so a
   * figure without them cannot be compared.
   */
  static String mallocSettings() {
    String set = System.getenv().entrySet().stream()
        .filter(e -> e.getKey().startsWith("MALLOC_") || e.getKey().equals("THP_MEM_ALLOC_ENABLE"))
        .map(e -> e.getKey() + "=" + e.getValue())
        .sorted()
        .collect(java.util.stream.Collectors.joining(" "));
    return set.isEmpty() ? "glibc defaults" : set;
  }

  /**
   * Which of HotSpot's compilers this process runs: {@code "C1"} (the launcher's {@code
   * -XX:TieredStopAtLevel=1}), {@code "C1+C2"} (the JVM's default), or the flags where they say otherwise. The
   * optimizing compiler's work in the first half-minute takes CPU from libtorch's threads and moved short
   * benchmarks by about a tenth (docs/benchmarks.md).
   */
  static String jitSetting() {
    var hotspot = java.lang.management.ManagementFactory.getPlatformMXBean(
        com.sun.management.HotSpotDiagnosticMXBean.class);
    if (hotspot == null) {
      return "unknown";
    }
    String tiered;
    String level;
    try {
      tiered = hotspot.getVMOption("TieredCompilation").getValue();
      level = hotspot.getVMOption("TieredStopAtLevel").getValue();
    } catch (IllegalArgumentException e) {
      return "unknown"; // a JVM without these options
    }
    if (!Boolean.parseBoolean(tiered)) {
      return "C2 (TieredCompilation off)";
    }
    return switch (level) {
      case "4" -> "C1+C2";
      case "1", "2", "3" -> "C1";
      default -> "TieredStopAtLevel=" + level;
    };
  }

  public static Result run(Plugins plugins, ConfigReader reader, String arch, int batch, int steps, int warmup) {
    return run(plugins, reader, arch, batch, steps, warmup, null, Precision.FP32);
  }

  /**
   * As {@link #run(Plugins, ConfigReader, String, int, int, int)}; with a {@code profile} path, one more
   * untimed step runs under libtorch's profiler and its trace (Chrome trace JSON) is written there.
   */
  public static Result run(Plugins plugins, ConfigReader reader, String arch, int batch, int steps, int warmup,
      Path profile) {
    return run(plugins, reader, arch, batch, steps, warmup, profile, Precision.FP32);
  }

  /**
   * As {@link #run(Plugins, ConfigReader, String, int, int, int, Path)}, training in {@code precision}
   * ({@code training.precision}).
   */
  public static Result run(Plugins plugins, ConfigReader reader, String arch, int batch, int steps, int warmup,
      Path profile, Precision precision) {
    return run(plugins, reader, arch, batch, steps, warmup, profile, precision, "cpu");
  }

  /**
   * The images a preset is timed on: 3x32x32 for {@code unet-rgb32} (CIFAR-10's size), 3x64x64 for
   * {@code unet-rgb64} (CelebA-64's), 1x32x32 for the others.
   */
  public static ImageShape imageShape(String arch) {
    return switch (arch) {
      case "unet-rgb32" -> new ImageShape(3, 32, 32);
      case "unet-rgb64" -> new ImageShape(3, 64, 64);
      default -> new ImageShape(1, 32, 32);
    };
  }

  /**
   * As {@link #run(Plugins, ConfigReader, String, int, int, int, Path, Precision)}, on {@code device}
   * ({@code cpu}, {@code gpu} or {@code gpu:N}, as {@code training.device}), with the images of
   * {@link #imageShape}.
   */
  public static Result run(Plugins plugins, ConfigReader reader, String arch, int batch, int steps, int warmup,
      Path profile, Precision precision, String device) {
    ImageShape shape = imageShape(arch);
    UNetConfig network = UNetConfig.preset(arch, shape.channels(), shape.height());
    NoiseSchedule table = plugins.schedule(
        reader.convert("bench", ConfigReader.parseOption("linear"), ScheduleSpec.class));
    ParameterizationConfig eps =
        reader.convert("bench", ConfigReader.parseOption("eps"), ParameterizationConfig.class);
    WeighterSpec uniform = reader.convert("bench", ConfigReader.parseOption("uniform"), WeighterSpec.class);
    LossWeights weights = plugins.lossWeights("uniform", table, uniform, eps);
    WeightedDenoisingLoss objective = WeightedDenoisingLoss.of(table, plugins.parameterization(eps), weights);
    TrainConfig.Training options = new TrainConfig.Training(warmup + steps, batch, 2e-4, 0, null, null, null,
        0.0, 1.0, 0.9999, true, Integer.MAX_VALUE, 1, 0L, 1, device, precision.id());
    DatasetSource data = randomImages(Math.max(256, batch), shape);
    double[] ms = new double[steps];
    double lastLoss;
    long params;
    long cpu0;
    long cpu1;
    try (DiffusionTrainer trainer = new DiffusionTrainer(network, options, objective, data, Engines.device(device))) {
      params = trainer.network().parameterCount();
      DiffusionTrainer.StepResult r = null;
      for (int i = 0; i < warmup; i++) {
        r = trainer.trainStep();
      }
      cpu0 = processCpuNanos();
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        r = trainer.trainStep();
        ms[i] = (System.nanoTime() - t0) / 1e6;
      }
      cpu1 = processCpuNanos();
      lastLoss = r.loss();
      if (profile != null) {
        JniUtils.startProfile(false, false, false);
        try {
          trainer.trainStep();
        } finally {
          JniUtils.stopProfile(profile.toAbsolutePath().toString());
        }
      }
    }
    double total = Arrays.stream(ms).sum();
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    double median = steps % 2 == 1 ? sorted[steps / 2] : (sorted[steps / 2 - 1] + sorted[steps / 2]) / 2;
    return new Result(arch, precision.id(), batch, steps, Engines.threads(), params,
        batch * steps / (total / 1000), median, sorted[0], cpu0 < 0 ? -1 : (cpu1 - cpu0) / 1e6 / steps, peakRss(),
        lastLoss, shape.channels() + "x" + shape.height() + "x" + shape.width(), device);
  }

  /** Fixed pseudo-random images in [-1, 1]. */
  static DatasetSource randomImages(int count, ImageShape shape) {
    return new DatasetSource() {
      @Override
      public ImageShape shape() {
        return shape;
      }

      @Override
      public int size() {
        return count;
      }

      @Override
      public void read(int index, float[] dest, int offset) {
        StepRandom r = StepRandom.of(99, index, StepRandom.Purpose.DATA_ORDER);
        for (int i = 0; i < shape.size(); i++) {
          dest[offset + i] = (float) (2 * r.nextDouble() - 1);
        }
      }
    };
  }

  /** The process's CPU time in nanoseconds (all threads), or -1 where the JVM does not report it. */
  static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** {@code VmHWM} of /proc/self/status in bytes, or -1 on systems without it. */
  public static long peakRss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
