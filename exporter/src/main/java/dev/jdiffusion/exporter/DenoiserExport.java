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
import dev.jdiffusion.exporter.quantize.Int8Quantizer;
import dev.jdiffusion.exporter.quantize.ModelInputs;
import dev.jdiffusion.exporter.quantize.QdqRewrite;
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
import java.util.Map;
import java.util.Optional;

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

  /**
   * What was written and how well it matches.
   *
   * @param parity the float32 model against DJL
   * @param quantization present when the file holds the int8 model
   */
  public record Report(Path file, ModelMetadata metadata, List<ParityCheck.Result> parity, long bytes,
      Optional<Int8Summary> quantization) {
    /** A float32 export. */
    public Report(Path file, ModelMetadata metadata, List<ParityCheck.Result> parity, long bytes) {
      this(file, metadata, parity, bytes, Optional.empty());
    }

    public double maxAbsDifference() {
      return parity.stream().mapToDouble(ParityCheck.Result::maxAbsDifference).max().orElse(Double.NaN);
    }
  }

  /**
   * The inputs of an int8 export.
   *
   * @param calibration the images whose activation ranges set the quantization
   * @param evaluation other images, on which the int8 model is compared with the float32 one
   * @param description how the calibration images were made, written to the model's metadata
   */
  public record Int8Calibration(ModelInputs calibration, ModelInputs evaluation, String description) {}

  /**
   * What an int8 export quantized and how close it stays to the float32 model.
   *
   * @param quantized convolutions in QDQ form
   * @param convolutions all convolutions
   * @param fused quantized convolutions that ONNX Runtime runs as {@code QLinearConv}
   * @param calibrationImages images the ranges come from
   * @param agreement int8 against float32 in ONNX Runtime on the evaluation images
   */
  public record Int8Summary(int quantized, int convolutions, int fused, int calibrationImages,
      Int8Quantizer.Agreement agreement) {}

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
    return export(net, metadata, out, batch, tolerance, Optional.empty());
  }

  /**
   * Writes {@code net} to {@code out} as {@link #export(UNet, ModelMetadata, Path, int, double)} does and,
   * with {@code int8}, then quantizes the checked float32 graph ({@link QdqRewrite}: int8 convolutions,
   * ranges calibrated in ONNX Runtime on {@code int8.calibration()}) and writes that instead. Its metadata
   * has {@value QdqRewrite#METADATA_KEY} = {@value QdqRewrite#INT8} and
   * {@code jdiffusion.quantization.calibration} = {@code int8.description()}.
   *
   * @throws ParityException when the float32 model's largest difference from DJL exceeds {@code tolerance};
   *     {@code out} is then left untouched
   */
  public static Report export(UNet net, ModelMetadata metadata, Path out, int batch, double tolerance,
      Optional<Int8Calibration> int8) throws IOException, OrtException {
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
      write(model, candidate, out);
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
      Optional<Int8Summary> summary = Optional.empty();
      if (int8.isPresent()) {
        Int8Calibration c = int8.get();
        Int8Quantizer.Result q = Int8Quantizer.quantize(model, c.calibration(),
            Map.of(QdqRewrite.METADATA_KEY + ".calibration", c.description()));
        Int8Quantizer.Agreement agreement = Int8Quantizer.compare(model, q.model(), metadata.parameterization(),
            c.evaluation());
        int fused = Int8Quantizer.optimizedOperators(q.model()).getOrDefault("com.microsoft:QLinearConv", 0);
        summary = Optional.of(new Int8Summary(q.quantized(), q.convolutions(), fused, c.calibration().size(),
            agreement));
        write(q.model(), candidate, out);
      }
      long bytes = Files.size(candidate);
      AtomicFiles.commit(candidate, out);
      return new Report(out, metadata, parity, bytes, summary);
    } finally {
      Files.deleteIfExists(candidate);
    }
  }

  private static void write(ModelProto model, Path candidate, Path out) throws IOException {
    try {
      OnnxGraphBuilder.write(model, candidate);
    } catch (IOException e) {
      // name the file the user asked for, not the candidate beside it
      String reason = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
          : String.valueOf(e.getMessage()).replace(candidate.toString() + ": ", "");
      throw new IOException(out + ": " + reason + " (while writing " + candidate.getFileName() + ")", e);
    }
  }
}
