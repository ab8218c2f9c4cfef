package dev.jdiffusion.cli;

import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.trainer.Precision;
import dev.jdiffusion.trainer.bench.TrainBenchmark;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion bench train --arch unet-xs|unet-s|unet-rgb32|unet-rgb64 --batch 64 --steps N
 * [--precision bf16-mixed] [--device gpu]}.
 */
@Command(
    name = "train",
    description = {
      "Time training steps of a reference UNet on 1x32x32 images (unet-rgb32: 3x32x32, unet-rgb64: 3x64x64;"
          + " linear schedule, eps, uniform weight, AdamW) and print one JSON line: images_per_s,"
          + " step_ms_median, peak_rss_bytes, params, ...",
      "benchmarks/pytorch_unet.py is the same network and step in PyTorch (unet-xs, unet-s)."
    },
    sortOptions = false)
final class BenchTrainCommand implements Callable<Integer> {
  @ParentCommand BenchCommand bench;
  @Spec CommandSpec spec;

  @Option(names = "--arch", paramLabel = "NAME",
      description = "unet-xs, unet-s, unet-rgb32 or unet-rgb64 (default: ${DEFAULT-VALUE}).")
  String arch = "unet-xs";

  @Option(names = "--batch", paramLabel = "N", description = "Images per step (default: ${DEFAULT-VALUE}).")
  int batch = 64;

  @Option(names = "--steps", paramLabel = "N", description = "Timed steps (default: ${DEFAULT-VALUE}).")
  int steps = 20;

  @Option(names = "--warmup", paramLabel = "N", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
  int warmup = 3;

  @Option(names = "--precision", paramLabel = "P",
      description = "fp32 or bf16-mixed, as training.precision (default: ${DEFAULT-VALUE}).")
  String precision = "fp32";

  @Option(names = "--device", paramLabel = "D",
      description = "cpu, gpu or gpu:N, as training.device (default: ${DEFAULT-VALUE}).")
  String device = "cpu";

  @Option(names = "--profile", paramLabel = "FILE",
      description = "Also run one untimed step under libtorch's profiler and write its trace (Chrome trace JSON).")
  Path profile;

  @Override
  public Integer call() {
    if (!List.of("unet-xs", "unet-s", "unet-rgb32", "unet-rgb64").contains(arch)) {
      throw new UserException("--arch " + arch + " is not allowed: must be unet-xs, unet-s, unet-rgb32 or unet-rgb64");
    }
    if (!device.equals("cpu") && !device.matches("gpu(:[0-9]+)?")) {
      throw new UserException("--device " + device + " is not allowed: must be cpu, gpu or gpu:N");
    }
    Writable.requireParent("--profile", profile);
    if (batch < 1 || steps < 1 || warmup < 0) {
      throw new UserException("--batch and --steps must be >= 1 and --warmup >= 0");
    }
    Precision p;
    try {
      p = Precision.parse(precision);
    } catch (IllegalArgumentException e) {
      throw new UserException("--precision " + precision + " is not allowed: must be fp32 or bf16-mixed");
    }
    Plugins plugins = bench.main.injector().getInstance(Plugins.class);
    ConfigReader reader = bench.main.injector().getInstance(ConfigReader.class);
    TrainBenchmark.Result r = TrainBenchmark.run(plugins, reader, arch, batch, steps, warmup, profile, p,
        device);
    spec.commandLine().getOut().println(r.toJson());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
