package dev.jdiffusion.pipeline;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import java.io.IOException;
import java.nio.file.Path;

/** A 1-channel 16x16 feature extractor for tests: four 1x1 convolutions, ReLU, average pooled (4 features). */
public final class TinyExtractor {
  private TinyExtractor() {}

  public static Path write(Path dir) throws IOException {
    Path model = dir.resolve("gray.onnx");
    OnnxGraphBuilder g = new OnnxGraphBuilder("gray_extractor");
    g.input("images", DataType.FLOAT, -1, 1, 16, 16);
    String w = g.floats("w", new float[] {1, -1, 0.5f, 2}, 4, 1, 1, 1);
    String b = g.floats("b", new float[] {0, 0.1f, -0.2f, 0.3f}, 4);
    String conv = g.node("Conv", new String[] {"images", w, b}, "kernel_shape", new long[] {1, 1});
    String relu = g.node("Relu", new String[] {conv});
    String pooled = g.node("GlobalAveragePool", new String[] {relu});
    g.nodeInto("Flatten", new String[] {pooled}, "features", "axis", 1L);
    g.output("features", DataType.FLOAT, -1, 4);
    OnnxGraphBuilder.write(g.metadata("jdiffusion.extractor.name", "gray-test").build("test"), model);
    return model;
  }
}
