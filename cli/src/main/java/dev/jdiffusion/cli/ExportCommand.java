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
 * fails (exit code 1, no file written) when the outputs differ by more than the tolerance.
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

  @Override
  public Integer call() throws IOException, OrtException {
    PrintWriter log = spec.commandLine().getOut();
    Writable.requireParent("--out", out);
    try {
      DenoiserExport.Report r = CheckpointExport.export(Environment.of(main.injector(), Main.version()),
          CheckpointExport.resolve(checkpoint), out, !raw, parityBatch, tolerance);
      log.printf(Locale.ROOT, "wrote %s (%.1f MB, ONNX opset 17, output '%s', %s weights of step %d)%n",
          r.file(), r.bytes() / 1e6, r.metadata().parameterization(), r.metadata().weights(),
          r.metadata().trainingStep());
      for (ParityCheck.Result p : r.parity()) {
        log.printf(Locale.ROOT, "parity DJL vs ONNX Runtime, batch %d: max |diff| = %.3g (outputs up to %.3g; tolerance %.1g)%n",
            p.batch(), p.maxAbsDifference(), p.maxAbsOutput(), tolerance);
      }
      log.flush();
      return 0;
    } catch (DenoiserExport.ParityException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return 1;
    }
  }
}
