package dev.jdiffusion.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtException;
import dev.jdiffusion.exporter.UNetExporter;
import dev.jdiffusion.exporter.onnx.GaussianOracle;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.exporter.quantize.Int8Quantizer;
import dev.jdiffusion.exporter.quantize.ModelInputs;
import dev.jdiffusion.exporter.quantize.QdqRewrite;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.bench.TrainBenchmark;
import dev.jdiffusion.trainer.unet.UNet;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion bench sample --arch unet-xs|unet-s --batch 64}: one network evaluation per image
 * through ONNX Runtime, the cost of one sampler step. The reference network (randomly initialized, which
 * does not change the cost) is exported as {@code ./diffusion export} would, then timed after a warm-up.
 * Prints one JSON line. {@code benchmarks/pytorch_sample.py} times the same network in PyTorch eager.
 * {@code --quantize int8} times the int8 QDQ model instead (the JSON line then has {@code "quantize": "int8"}).
 */
@Command(name = "sample", sortOptions = false,
    description = "Time one network evaluation per image of a reference UNet in ONNX Runtime; one JSON line.")
final class BenchSampleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--arch", description = "unet-xs or unet-s (default: ${DEFAULT-VALUE}).")
  String arch = "unet-xs";

  @Option(names = "--batch", description = "Images per evaluation (default: ${DEFAULT-VALUE}).")
  int batch = 64;

  @Option(names = "--steps", description = "Timed evaluations (default: ${DEFAULT-VALUE}).")
  int steps = 20;

  @Option(names = "--warmup", description = "Untimed evaluations first (default: ${DEFAULT-VALUE}).")
  int warmup = 3;

  @Option(names = "--threads", description = "ONNX Runtime threads (default: the cores, ${DEFAULT-VALUE}).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--quantize", paramLabel = "int8",
      description = "Time the int8 model that export --quantize int8 writes (ranges calibrated here on 16 random"
          + " inputs: the cost does not depend on them).")
  String quantize;

  @Override
  public Integer call() throws IOException, OrtException {
    if (!arch.equals("unet-xs") && !arch.equals("unet-s")) {
      throw new UserException("--arch " + arch + " is not allowed: must be unet-xs or unet-s");
    }
    if (batch < 1 || steps < 1 || warmup < 0) {
      throw new UserException("--batch and --steps must be >= 1 and --warmup >= 0");
    }
    if (quantize != null && !quantize.equals("int8")) {
      throw new UserException("--quantize " + quantize + " is not allowed: must be int8");
    }
    UNetConfig config = UNetConfig.preset(arch, 1, 32);
    Path file = Files.createTempFile("jdiffusion-bench-" + arch, ".onnx");
    long params;
    try {
      try (NDManager m = NDManager.newBaseManager()) {
        UNet net = new UNet(config);
        net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 32, 32), new Shape(1));
        params = net.parameterCount();
        double[] betas = new double[1000];
        for (int i = 0; i < betas.length; i++) {
          betas[i] = 1e-4 + (0.02 - 1e-4) * i / 999;
        }
        NoiseSchedule s = NoiseSchedule.fromBetas(betas);
        ModelProto model = UNetExporter.export(net, "eps", GaussianOracle.metadata(s, new ImageShape(1, 32, 32)),
            Main.version());
        if (quantize != null) {
          Random r = new Random(1);
          float[] x = new float[16 * 32 * 32];
          long[] t = new long[16];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
          }
          for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(1000);
          }
          model = Int8Quantizer.quantize(model, new ModelInputs(x, t, new ImageShape(1, 32, 32)),
              Map.of(QdqRewrite.METADATA_KEY + ".calibration", "16 random N(0, 1) images (benchmark)")).model();
        }
        OnnxGraphBuilder.write(model, file);
      }
      double[] ms = new double[steps];
      try (OnnxDenoiser d = OnnxDenoiser.open(file, threads)) {
        Random r = new Random(0);
        float[] x = new float[batch * 32 * 32];
        long[] t = new long[batch];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) r.nextGaussian();
        }
        for (int k = 0; k < warmup + steps; k++) {
          for (int i = 0; i < batch; i++) {
            t[i] = r.nextInt(1000);
          }
          long start = System.nanoTime();
          d.predict(x, t);
          if (k >= warmup) {
            ms[k - warmup] = (System.nanoTime() - start) / 1e6;
          }
        }
      }
      double total = Arrays.stream(ms).sum();
      double[] sorted = ms.clone();
      Arrays.sort(sorted);
      double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
          : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      spec.commandLine().getOut().println(String.format(Locale.ROOT,
          "{\"framework\": \"onnxruntime-java %s\", \"arch\": \"%s\", \"batch\": %d, \"steps\": %d,"
              + " \"threads\": %d, \"params\": %d,%s \"images_per_s\": %.3f, \"step_ms_median\": %.3f,"
              + " \"peak_rss_bytes\": %d}",
          ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion(), arch, batch, steps, threads, params,
          quantize == null ? "" : " \"quantize\": \"int8\",",
          batch * steps / (total / 1000), median, TrainBenchmark.peakRss()));
      spec.commandLine().getOut().flush();
      return 0;
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
