package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.exporter.DenoiserExport;
import dev.jdiffusion.exporter.ParityCheck;
import dev.jdiffusion.pipeline.CheckpointExport;
import dev.jdiffusion.pipeline.Environment;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion export CHECKPOINT --out model.onnx}: writes a trained denoiser as self-describing ONNX
 * (EMA weights unless {@code --raw}), then runs the same random inputs through DJL and ONNX Runtime and
 * fails (exit code 1, no file written) when the outputs differ by more than the tolerance. With
 * {@code --quantize int8 [--calibration N]} the checked float32 graph is then quantized (int8 convolutions,
 * activation ranges from N noised training images) and written instead, and its difference from the float32
 * model is reported.
 */
@Command(name = "export", sortOptions = false,
    description = "Export a checkpoint to ONNX (opset 17) with metadata; check parity against DJL.")
final class ExportCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CHECKPOINT",
      description = "A step-*.ckpt file, or a run directory (its newest checkpoint is used).")
  Path checkpoint;

  @Option(names = "--out", paramLabel = "FILE", description = "The ONNX file (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("out", "model.onnx");

  @Option(names = "--raw", description = "Export the raw weights instead of the EMA weights.")
  boolean raw;

  @Option(names = "--tolerance", description = "Largest allowed |DJL - ONNX Runtime| (default: ${DEFAULT-VALUE}).")
  double tolerance = ParityCheck.DEFAULT_TOLERANCE;

  @Option(names = "--parity-batch", description = "Batch of the larger parity check (default: ${DEFAULT-VALUE}).")
  int parityBatch = 8;

  @Option(names = "--quantize", paramLabel = "int8",
      description = "Write an int8 model instead of float32 (opt-in): int8 convolutions in the QDQ form ONNX Runtime"
          + " runs as QLinearConv; activation ranges calibrated on noised training images.")
  String quantize;

  @Option(names = "--calibration", paramLabel = "N",
      description = "With --quantize: training images the activation ranges come from (default: "
          + DEFAULT_CALIBRATION + ", at most " + CheckpointExport.MAX_CALIBRATION_IMAGES + ").")
  String calibration; // parsed here, so that every bad value is one line

  static final int DEFAULT_CALIBRATION = 64;

  @Override
  public Integer call() throws IOException, OrtException {
    PrintWriter log = spec.commandLine().getOut();
    int calibrationImages = 0;
    if (quantize != null) {
      if (!quantize.equals("int8")) {
        throw new UserException("--quantize " + quantize + " is not allowed: must be int8");
      }
      String allowed = " is not allowed: must be an integer in [1, " + CheckpointExport.MAX_CALIBRATION_IMAGES + "]";
      try {
        calibrationImages = calibration == null ? DEFAULT_CALIBRATION : Integer.parseInt(calibration.strip());
      } catch (NumberFormatException e) {
        throw new UserException("--calibration " + calibration + allowed, e);
      }
      if (calibrationImages < 1 || calibrationImages > CheckpointExport.MAX_CALIBRATION_IMAGES) {
        throw new UserException("--calibration " + calibration + allowed);
      }
    } else if (calibration != null) {
      throw new UserException("--calibration " + calibration + " needs --quantize int8");
    }
    Writable.requireParent("--out", out);
    try {
      DenoiserExport.Report r = CheckpointExport.export(Environment.of(main.injector(), Main.version()),
          CheckpointExport.resolve(checkpoint), out, !raw, parityBatch, tolerance, calibrationImages);
      log.printf(Locale.ROOT, "wrote %s (%.1f MB, ONNX opset 17%s, output '%s', %s weights of step %d)%n",
          r.file(), r.bytes() / 1e6, r.quantization().isPresent() ? ", int8 QDQ" : "",
          r.metadata().parameterization(), r.metadata().weights(), r.metadata().trainingStep());
      for (ParityCheck.Result p : r.parity()) {
        log.printf(Locale.ROOT, "parity DJL vs ONNX Runtime%s, batch %d: max |diff| = %.3g (outputs up to %.3g; tolerance %.1g)%n",
            r.quantization().isPresent() ? " (float32 model)" : "", p.batch(), p.maxAbsDifference(),
            p.maxAbsOutput(), tolerance);
      }
      r.quantization().ifPresent(q -> {
        log.printf(Locale.ROOT, "int8: %d of %d convolutions quantized (the first and last stay float32), %d run as"
                + " QLinearConv in ONNX Runtime; activation ranges from %d noised training images%n",
            q.quantized(), q.convolutions(), q.fused(), q.calibrationImages());
        log.printf(Locale.ROOT, "int8 vs float32 in ONNX Runtime, %d other noised training images: max |diff| = %.3g,"
                + " rms %.3g (output rms %.3g)%n", q.agreement().images(), q.agreement().maxAbsDifference(),
            q.agreement().rmsDifference(), q.agreement().rmsReference());
      });
      log.flush();
      return 0;
    } catch (DenoiserExport.ParityException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return 1;
    }
  }
}
