package dev.jdiffusion.pipeline;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.exporter.DenoiserExport;
import dev.jdiffusion.trainer.Checkpoint;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.unet.UNet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A training checkpoint written as self-describing ONNX, parity-checked against DJL. */
public final class CheckpointExport {
  private CheckpointExport() {}

  /**
   * Loads the checkpoint and exports its network.
   *
   * @param env plugins, reader and the version written into the metadata
   * @param checkpoint a {@code step-*.ckpt} file
   * @param out the ONNX file to write
   * @param ema export the EMA weights (else the raw ones)
   * @param parityBatch batch of the larger parity check
   * @param tolerance largest allowed |DJL - ONNX Runtime|
   * @return what was written and the parity measured
   * @throws DenoiserExport.ParityException when the outputs differ by more than {@code tolerance} (no file
   *     is written then)
   */
  public static DenoiserExport.Report export(Environment env, Path checkpoint, Path out, boolean ema,
      int parityBatch, double tolerance) throws IOException, OrtException {
    try (NDManager manager = NDManager.newBaseManager()) {
      Checkpoint.Contents contents = Checkpoint.read(checkpoint, manager);
      TrainConfig config = env.reader().convert(checkpoint + " (resolved config)", contents.config(),
          TrainConfig.class);
      UNet net = Checkpoint.loadNetwork(checkpoint, manager, ema);
      ModelMetadata meta = DenoiserExport.metadata(env.plugins(), env.reader(), config, net.config(),
          contents.step(), ema ? "ema" : "raw", env.version());
      return DenoiserExport.export(net, meta, out, parityBatch, tolerance);
    }
  }

  /**
   * A checkpoint file, or the newest checkpoint of a run directory. When a directory's newest checkpoint
   * does not read, nothing is exported: the one-line error names it, why, and the newest one that reads,
   * to be exported by name.
   *
   * @throws PipelineException naming the path when it holds no checkpoint, or its newest one is corrupt
   */
  public static Path resolve(Path checkpoint) throws IOException {
    if (Files.isDirectory(checkpoint)) {
      Path dir = Files.isDirectory(checkpoint.resolve("checkpoints")) ? checkpoint.resolve("checkpoints") : checkpoint;
      if (Checkpoint.latest(dir).isEmpty()) {
        throw new PipelineException(checkpoint + ": no step-*.ckpt checkpoint in " + dir);
      }
      try (NDManager manager = NDManager.newBaseManager()) {
        Checkpoint.Scan scan = Checkpoint.newestIntact(dir, manager);
        if (scan.corrupt().isEmpty()) {
          return scan.newest().orElseThrow().file();
        }
        Checkpoint.Corrupt newest = scan.corrupt().get(0);
        throw new PipelineException(newest.file() + " is corrupt (" + newest.problem() + "); "
            + scan.newest().map(i -> "the newest intact checkpoint is " + i.file() + ": export it by name")
                .orElse("no checkpoint in " + dir + " reads"));
      }
    }
    if (!Files.isRegularFile(checkpoint)) {
      throw new PipelineException(checkpoint + ": no such checkpoint file or run directory");
    }
    return checkpoint;
  }
}
