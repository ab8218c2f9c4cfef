package dev.jdiffusion.exporter;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.unet.UNet;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Exports a trained denoiser: builds the ONNX graph ({@link UNetExporter}) with self-describing metadata
 * ({@link ModelMetadata}: schedule table, parameterization coefficients, shapes, configurations), writes it
 * beside the target ({@code .<name>.<pid>.<random>.candidate}), checks parity against the DJL network in
 * ONNX Runtime, and only then renames it into place. A file that fails the check is not left where a
 * sampler would pick it up; candidates that a killed export left are removed by the next export to the
 * same file.
 */
public final class DenoiserExport {
  private DenoiserExport() {}

  /** What was written and how well it matches. */
  public record Report(Path file, ModelMetadata metadata, List<ParityCheck.Result> parity, long bytes) {
    public double maxAbsDifference() {
      return parity.stream().mapToDouble(ParityCheck.Result::maxAbsDifference).max().orElse(Double.NaN);
    }
  }

  /** The parity check failed; the message gives the difference and the tolerance. */
  public static final class ParityException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ParityException(String message) {
      super(message);
    }
  }

  /** The metadata of a network trained with {@code config} (schedule table and coefficients from the plugins). */
  public static ModelMetadata metadata(Plugins plugins, ConfigReader reader, TrainConfig config, UNetConfig net,
      long step, String weights, String version) {
    NoiseSchedule schedule = plugins.schedule(config.schedule());
    ObjectMapper json = reader.json();
    try {
      return new ModelMetadata(version,
          plugins.idOf(config.parameterization()),
          schedule.alphabars(),
          ModelMetadata.coefficientTables(schedule, plugins.parameterization(config.parameterization())),
          json.writeValueAsString(config.schedule()),
          new ImageShape(net.imageChannels(), net.imageSize(), net.imageSize()),
          -1, 1,
          json.writeValueAsString(config.weighter()),
          config.dataset().isPresent() ? json.writeValueAsString(config.dataset().get()) : "{}",
          step, weights);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes {@code net} to {@code out}, checking parity on a batch of 1 and a batch of {@code batch}.
   *
   * @throws ParityException when the largest difference exceeds {@code tolerance}; {@code out} is then
   *     left untouched
   */
  public static Report export(UNet net, ModelMetadata metadata, Path out, int batch, double tolerance)
      throws IOException, OrtException {
    ModelProto model = UNetExporter.export(net, metadata.parameterization(), metadata.toProperties(),
        metadata.frameworkVersion());
    Path dir = out.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw AtomicFiles.naming(dir, e);
    }
    String name = out.getFileName().toString();
    AtomicFiles.removeTemporaryFiles(dir,
        p -> AtomicFiles.targetOf(p).filter(name::equals).isPresent() && AtomicFiles.leftBehind(p));
    Path candidate = AtomicFiles.createTemporary(out, "candidate");
    try {
      try {
        OnnxGraphBuilder.write(model, candidate);
      } catch (IOException e) {
        // name the file the user asked for, not the candidate beside it
        String reason = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
            : String.valueOf(e.getMessage()).replace(candidate.toString() + ": ", "");
        throw new IOException(out + ": " + reason + " (while writing " + candidate.getFileName() + ")", e);
      }
      List<ParityCheck.Result> parity = new ArrayList<>();
      for (int b : new int[] {1, batch}) {
        parity.add(ParityCheck.run(net, candidate, metadata.parameterization(), metadata.timesteps(), b, b));
      }
      for (ParityCheck.Result r : parity) {
        if (!(r.maxAbsDifference() <= tolerance)) {
          throw new ParityException(String.format(java.util.Locale.ROOT,
              "parity check failed: max |DJL - ONNX Runtime| = %.3g at batch %d exceeds the tolerance %.1g;"
                  + " %s was not written", r.maxAbsDifference(), r.batch(), tolerance, out));
        }
      }
      long bytes = Files.size(candidate);
      AtomicFiles.commit(candidate, out);
      return new Report(out, metadata, parity, bytes);
    } finally {
      Files.deleteIfExists(candidate);
    }
  }
}
