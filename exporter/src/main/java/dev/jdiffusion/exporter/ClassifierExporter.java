package dev.jdiffusion.exporter;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.trainer.classifier.FeatureClassifier;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link FeatureClassifier} as an ONNX feature extractor for FID: input {@code x} float32
 * {@code [N, C, S, S]} in {@code [-1, 1]}, outputs {@code features} {@code [N, D]} (the penultimate layer,
 * what FID compares) and {@code logits} {@code [N, classes]}. Its {@code metadata_props} say what it is:
 *
 * <ul>
 *   <li>{@code jdiffusion.extractor.format_version}: 1
 *   <li>{@code jdiffusion.extractor.name}: an id for reports, e.g. {@code fashion-mnist-cnn32}; FIDs are
 *       comparable only between numbers computed with the same extractor
 *   <li>{@code jdiffusion.extractor.input}: {@code x}; {@code .channels}, {@code .size}: the input shape;
 *       {@code .pixel_min}, {@code .pixel_max}: -1 and 1
 *   <li>{@code jdiffusion.extractor.output}: {@code features}; {@code .feature_dim}
 *   <li>{@code jdiffusion.extractor.test_accuracy}, {@code .dataset}: how well it classifies, and on what
 *   <li>{@code jdiffusion.extractor.padding}, when the training images were padded (e.g. 2 for Fashion-MNIST's
 *       28x28 shown as 32x32): images of the unpadded size are then padded with black, not resized, before
 *       they reach the network, so that they look like what it was trained on
 * </ul>
 */
public final class ClassifierExporter {
  private ClassifierExporter() {}

  /** The metadata of an extractor (see the class comment). */
  public static Map<String, String> metadata(FeatureClassifier net, String name, String dataset,
      double testAccuracy) {
    return metadata(net, name, dataset, testAccuracy, 0);
  }

  /**
   * The metadata of an extractor trained on images padded by {@code padding} pixels on every side (see the
   * class comment); {@code padding = 0} writes no padding key.
   */
  public static Map<String, String> metadata(FeatureClassifier net, String name, String dataset,
      double testAccuracy, int padding) {
    if (padding < 0 || 2 * padding >= net.size()) {
      throw new IllegalArgumentException("padding must be in 0.." + (net.size() - 1) / 2 + " for input size "
          + net.size() + ", got " + padding);
    }
    Map<String, String> m = new LinkedHashMap<>();
    String p = "jdiffusion.extractor.";
    m.put(p + "format_version", "1");
    m.put(p + "name", name);
    m.put(p + "input", "x");
    m.put(p + "channels", Integer.toString(net.channels()));
    m.put(p + "size", Integer.toString(net.size()));
    m.put(p + "pixel_min", "-1");
    m.put(p + "pixel_max", "1");
    m.put(p + "output", "features");
    m.put(p + "feature_dim", Integer.toString(net.featureDim()));
    m.put(p + "dataset", dataset);
    m.put(p + "test_accuracy", String.format(Locale.ROOT, "%.4f", testAccuracy));
    if (padding > 0) {
      m.put(p + "padding", Integer.toString(padding));
    }
    return m;
  }

  public static ModelProto export(FeatureClassifier net, Map<String, String> metadata, String version) {
    OnnxGraphBuilder g = new OnnxGraphBuilder("jdiffusion_feature_classifier");
    g.input("x", TensorProto.DataType.FLOAT, -1, net.channels(), net.size(), net.size());
    g.output("features", TensorProto.DataType.FLOAT, -1, net.featureDim());
    g.output("logits", TensorProto.DataType.FLOAT, -1, net.classes());
    String h = relu(g, conv(g, net.conv2(), relu(g, conv(g, net.conv1(), "x"))));
    h = pool(g, h);
    h = relu(g, conv(g, net.conv4(), relu(g, conv(g, net.conv3(), h))));
    h = pool(g, h);
    String flat = g.node("Flatten", new String[] {h}, "axis", 1L);
    g.nodeInto("Relu", new String[] {gemm(g, net.fc1(), flat)}, "features");
    g.nodeInto("Gemm", new String[] {"features", weight(g, net.fc2(), "weight"), weight(g, net.fc2(), "bias")},
        "logits", "transB", 1L);
    g.metadata(metadata);
    return g.build(version);
  }

  private static String relu(OnnxGraphBuilder g, String x) {
    return g.node("Relu", new String[] {x});
  }

  private static String pool(OnnxGraphBuilder g, String x) {
    return g.node("MaxPool", new String[] {x}, "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2});
  }

  private static String conv(OnnxGraphBuilder g, Conv2d conv, String x) {
    return g.node("Conv", new String[] {x, weight(g, conv, "weight"), weight(g, conv, "bias")},
        "kernel_shape", new long[] {3, 3}, "pads", new long[] {1, 1, 1, 1});
  }

  private static String gemm(OnnxGraphBuilder g, Linear l, String x) {
    return g.node("Gemm", new String[] {x, weight(g, l, "weight"), weight(g, l, "bias")}, "transB", 1L);
  }

  private static String weight(OnnxGraphBuilder g, Block block, String name) {
    for (var pair : block.getDirectParameters()) {
      if (pair.getKey().equals(name)) {
        NDArray a = pair.getValue().getArray();
        return g.floats(name, a.toFloatArray(), a.getShape().getShape());
      }
    }
    throw new IllegalArgumentException(block.getClass().getSimpleName() + " has no parameter " + name);
  }
}
