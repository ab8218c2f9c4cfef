package dev.jdiffusion.pipeline;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.exporter.DenoiserExport;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.trainer.Checkpoint;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.unet.UNet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

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
    return export(env, checkpoint, out, ema, parityBatch, tolerance, 0);
  }

  /** Images on which an int8 export is compared with the float32 one (other images than the calibration's). */
  public static final int INT8_EVALUATION_IMAGES = 32;
  /** The most calibration images an int8 export takes. */
  public static final int MAX_CALIBRATION_IMAGES = 4096;

  /**
   * Loads the checkpoint and exports its network; with {@code calibrationImages > 0} as an int8 model
   * (see {@link DenoiserExport#export(UNet, ModelMetadata, Path, int, double, Optional)}), its activation
   * ranges calibrated on that many images of the checkpoint's training dataset, noised at timesteps spread
   * over the schedule ({@link NoisedInputs}, seed 0), and compared with the float32 model on
   * {@value #INT8_EVALUATION_IMAGES} other noised images (seed 1).
   *
   * @param calibrationImages 0 for a float32 model, else 1 .. {@value #MAX_CALIBRATION_IMAGES}
   * @throws PipelineException when the checkpoint's configuration names no dataset to calibrate on
   */
  public static DenoiserExport.Report export(Environment env, Path checkpoint, Path out, boolean ema,
      int parityBatch, double tolerance, int calibrationImages) throws IOException, OrtException {
    if (calibrationImages < 0 || calibrationImages > MAX_CALIBRATION_IMAGES) {
      throw new IllegalArgumentException("calibration images = " + calibrationImages
          + " is not allowed: must be in [0, " + MAX_CALIBRATION_IMAGES + "]");
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      Checkpoint.Contents contents = Checkpoint.read(checkpoint, manager);
      TrainConfig config = env.reader().convert(checkpoint + " (resolved config)", contents.config(),
          TrainConfig.class);
      UNet net = Checkpoint.loadNetwork(checkpoint, manager, ema);
      ModelMetadata meta = DenoiserExport.metadata(env.plugins(), env.reader(), config, net.config(),
          contents.step(), ema ? "ema" : "raw", env.version());
      Optional<DenoiserExport.Int8Calibration> int8 = Optional.empty();
      if (calibrationImages > 0) {
        if (config.dataset().isEmpty()) {
          throw new PipelineException(checkpoint + ": its configuration names no dataset, and an int8 export"
              + " calibrates on the training data; export it without --quantize");
        }
        try (DatasetSource data = env.plugins().openDataset(config.dataset().get())) {
          int8 = Optional.of(new DenoiserExport.Int8Calibration(
              NoisedInputs.fromDataset(data, meta.alphabar(), calibrationImages, 0, 0),
              NoisedInputs.fromDataset(data, meta.alphabar(), INT8_EVALUATION_IMAGES, 0.5, 1),
              calibrationImages + " training images noised at timesteps spread over 0.." + (meta.timesteps() - 1)
                  + " (seed 0); per-tensor min/max"));
        }
      }
      return DenoiserExport.export(net, meta, out, parityBatch, tolerance, int8);
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
