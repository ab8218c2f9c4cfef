package dev.jdiffusion.exporter.quantize;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a float32 ONNX graph into the QDQ form of int8 convolutions that ONNX Runtime fuses into
 * {@code QLinearConv} (u8 activations times s8 weights, the VNNI kernels on CPUs that have them). Each
 * quantized {@code Conv} reads
 * <ul>
 *   <li>its input through {@code QuantizeLinear -> DequantizeLinear}, uint8, per tensor, with the scale and
 *       zero point of its calibrated {@link ActivationRange};</li>
 *   <li>its weight as an int8 initializer through {@code DequantizeLinear} (axis 0): symmetric per output
 *       channel, {@code scale[c] = max|w[c]| / 127}, {@code q = round(w / scale[c])} in -127 .. 127, zero
 *       point 0;</li>
 *   <li>its bias as an int32 initializer through {@code DequantizeLinear} (axis 0) with
 *       {@code scale[c] = inputScale * weightScale[c]}, the unit of the integer accumulator;</li>
 * </ul>
 * and its output goes to one {@code QuantizeLinear} (uint8, the output's calibrated range), followed by a
 * {@code DequantizeLinear} for every quantized convolution that reads it and one, under the output's
 * original name, for everything else. Everything that is not a convolution (group norm, SiLU, attention
 * products, additions) stays float32.
 *
 * <p>Quantized are the convolutions with an initializer weight whose input is not a graph input and whose
 * output is not a graph output: the first convolution (on the noisy image, a few channels and cheap) and the
 * last (the prediction itself, which a sampler amplifies at high noise) stay float32.
 */
public final class QdqRewrite {
  /** The {@code metadata_props} key that marks a quantized model; its value is {@value #INT8}. */
  public static final String METADATA_KEY = "jdiffusion.quantization";
  /** The value of {@link #METADATA_KEY} for this rewrite. */
  public static final String INT8 = "int8";

  private QdqRewrite() {}

  /** The convolutions the rewrite quantizes, in graph order. */
  public static List<NodeProto> quantizedConvolutions(GraphProto graph) {
    Map<String, TensorProto> inits = initializers(graph);
    Set<String> inputs = new HashSet<>();
    graph.getInputList().forEach(v -> inputs.add(v.getName()));
    Set<String> outputs = new HashSet<>();
    graph.getOutputList().forEach(v -> outputs.add(v.getName()));
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOpType().equals("Conv") && n.getDomain().isEmpty() && n.getInputCount() >= 2
          && n.getOutputCount() == 1 && !inputs.contains(n.getInput(0)) && !outputs.contains(n.getOutput(0))) {
        TensorProto w = inits.get(n.getInput(1));
        boolean floatBias = n.getInputCount() < 3 || n.getInput(2).isEmpty()
            || isFloat(inits.get(n.getInput(2)));
        if (isFloat(w) && w.getDimsCount() == 4 && floatBias) {
          out.add(n);
        }
      }
    }
    return out;
  }

  /** The tensors whose ranges the rewrite needs: inputs and outputs of the quantized convolutions. */
  public static Set<String> observedTensors(GraphProto graph) {
    Set<String> out = new LinkedHashSet<>();
    for (NodeProto n : quantizedConvolutions(graph)) {
      out.add(n.getInput(0));
      out.add(n.getOutput(0));
    }
    return out;
  }

  /** {@code model} with every {@link #observedTensors} tensor also a (float32) graph output, for calibration. */
  public static ModelProto observing(ModelProto model) {
    GraphProto.Builder g = model.getGraph().toBuilder();
    Set<String> outputs = new HashSet<>();
    g.getOutputList().forEach(v -> outputs.add(v.getName()));
    for (String t : observedTensors(model.getGraph())) {
      if (outputs.add(t)) {
        g.addOutput(ValueInfoProto.newBuilder().setName(t).setType(TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()))));
      }
    }
    return model.toBuilder().setGraph(g).build();
  }

  /**
   * The QDQ model.
   *
   * @param ranges a range for every tensor of {@link #observedTensors}
   * @param metadata further {@code metadata_props} (e.g. how the ranges were calibrated); the rewrite adds
   *     {@link #METADATA_KEY} = {@value #INT8}
   * @throws IllegalArgumentException naming a tensor that has no range
   */
  public static ModelProto rewrite(ModelProto model, Map<String, ActivationRange> ranges,
      Map<String, String> metadata) {
    GraphProto graph = model.getGraph();
    List<NodeProto> convs = quantizedConvolutions(graph);
    Set<String> convNames = new HashSet<>();
    convs.forEach(c -> convNames.add(c.getName()));
    Map<String, TensorProto> inits = initializers(graph);
    Set<String> taken = names(graph);

    // which quantized convolutions read each tensor, and which produce one
    Map<String, List<NodeProto>> readers = new LinkedHashMap<>();
    Map<String, NodeProto> producers = new HashMap<>();
    for (NodeProto c : convs) {
      readers.computeIfAbsent(c.getInput(0), k -> new ArrayList<>()).add(c);
      producers.put(c.getOutput(0), c);
    }
    Set<String> tensors = observedTensors(graph);
    List<TensorProto> newInits = new ArrayList<>();
    Map<String, ActivationRange> used = new LinkedHashMap<>();
    Map<String, String> scales = new HashMap<>();
    Map<String, String> zeros = new HashMap<>();
    for (String t : tensors) {
      ActivationRange r = ranges.get(t);
      if (r == null) {
        throw new IllegalArgumentException("no calibration range for tensor '" + t + "'");
      }
      used.put(t, r);
      scales.put(t, fresh(taken, t + "_scale"));
      zeros.put(t, fresh(taken, t + "_zero_point"));
      newInits.add(scalar(scales.get(t), r.scale()));
      newInits.add(OnnxGraphBuilder.tensor(zeros.get(t), TensorProto.DataType.UINT8, 1,
          new byte[] {(byte) r.zeroPoint()}));
    }

    // Q and DQ nodes emitted after the node that writes the tensor; the input each convolution reads
    Map<String, List<NodeProto>> after = new HashMap<>();
    Map<String, String> convInput = new HashMap<>();
    Map<String, String> convOutput = new HashMap<>();
    for (String t : tensors) {
      String scale = scales.get(t);
      String zero = zeros.get(t);
      String source = t;
      if (producers.containsKey(t)) {
        source = fresh(taken, t + "_float");
        convOutput.put(producers.get(t).getName(), source);
      }
      String q = fresh(taken, t + "_quantized");
      List<NodeProto> nodes = new ArrayList<>();
      nodes.add(OnnxGraphBuilder.nodeProto("QuantizeLinear", fresh(taken, "n_QuantizeLinear_" + t),
          new String[] {source, scale, zero}, q));
      for (NodeProto c : readers.getOrDefault(t, List.of())) {
        String dq = fresh(taken, t + "_dequantized_for_" + c.getName());
        nodes.add(OnnxGraphBuilder.nodeProto("DequantizeLinear", fresh(taken, "n_DequantizeLinear_" + dq),
            new String[] {q, scale, zero}, dq));
        convInput.put(c.getName(), dq);
      }
      if (producers.containsKey(t) && hasOtherReaders(graph, t, convNames)) {
        // everything that is not a quantized convolution keeps reading the tensor under its own name
        nodes.add(OnnxGraphBuilder.nodeProto("DequantizeLinear", fresh(taken, "n_DequantizeLinear_" + t),
            new String[] {q, scale, zero}, t));
      }
      after.put(t, nodes);
    }

    GraphProto.Builder g = graph.toBuilder().clearNode();
    Set<String> replacedInits = new HashSet<>();
    for (NodeProto n : graph.getNodeList()) {
      if (convNames.contains(n.getName())) {
        NodeProto.Builder c = n.toBuilder();
        float inputScale = used.get(n.getInput(0)).scale();
        String w = n.getInput(1);
        float[] weightScale = weight(g, newInits, taken, inits.get(w), n.getName(), c);
        replacedInits.add(w);
        if (n.getInputCount() >= 3 && !n.getInput(2).isEmpty()) {
          bias(g, newInits, taken, inits.get(n.getInput(2)), inputScale, weightScale, n.getName(), c);
          replacedInits.add(n.getInput(2));
        }
        c.setInput(0, convInput.get(n.getName()));
        c.setOutput(0, convOutput.get(n.getName()));
        g.addNode(c);
      } else {
        g.addNode(n);
      }
      for (String o : n.getOutputList()) {
        after.getOrDefault(o, List.of()).forEach(g::addNode);
      }
    }
    // a float initializer that a quantized convolution replaced and nothing else reads is dropped
    Set<String> read = new HashSet<>();
    g.getNodeList().forEach(n -> read.addAll(n.getInputList()));
    g.clearInitializer();
    for (TensorProto t : graph.getInitializerList()) {
      if (!replacedInits.contains(t.getName()) || read.contains(t.getName())) {
        g.addInitializer(t);
      }
    }
    g.addAllInitializer(newInits);

    ModelProto.Builder m = model.toBuilder().setGraph(g);
    Map<String, String> props = new LinkedHashMap<>(metadata);
    props.put(METADATA_KEY, INT8);
    List<StringStringEntryProto> kept = new ArrayList<>();
    for (StringStringEntryProto p : model.getMetadataPropsList()) {
      if (!props.containsKey(p.getKey())) {
        kept.add(p);
      }
    }
    m.clearMetadataProps().addAllMetadataProps(kept);
    props.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }

  /** Adds the int8 weight and its DequantizeLinear (before the convolution); returns the channel scales. */
  private static float[] weight(GraphProto.Builder g, List<TensorProto> newInits, Set<String> taken,
      TensorProto w, String conv, NodeProto.Builder c) {
    float[] v = floats(w);
    int out = (int) w.getDims(0);
    int per = v.length / out;
    float[] scale = new float[out];
    byte[] q = new byte[v.length];
    for (int o = 0; o < out; o++) {
      double max = 0;
      for (int i = 0; i < per; i++) {
        max = Math.max(max, Math.abs(v[o * per + i]));
      }
      scale[o] = max > 0 ? (float) (max / 127) : 1f;
      for (int i = 0; i < per; i++) {
        long r = Math.round(v[o * per + i] / (double) scale[o]);
        q[o * per + i] = (byte) Math.max(-127, Math.min(127, r));
      }
    }
    long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
    String base = w.getName() + "_" + conv;
    String qName = fresh(taken, base + "_int8");
    String sName = fresh(taken, base + "_scale");
    String zName = fresh(taken, base + "_zero_point");
    newInits.add(OnnxGraphBuilder.tensor(qName, TensorProto.DataType.INT8, 1, q, dims));
    newInits.add(floatVector(sName, scale));
    newInits.add(OnnxGraphBuilder.tensor(zName, TensorProto.DataType.INT8, 1, new byte[out], out));
    String dq = fresh(taken, base + "_dequantized");
    g.addNode(OnnxGraphBuilder.nodeProto("DequantizeLinear", fresh(taken, "n_DequantizeLinear_" + dq),
        new String[] {qName, sName, zName}, dq, "axis", 0L));
    c.setInput(1, dq);
    return scale;
  }

  /** Adds the int32 bias in units of inputScale * weightScale[c] and its DequantizeLinear. */
  private static void bias(GraphProto.Builder g, List<TensorProto> newInits, Set<String> taken, TensorProto b,
      float inputScale, float[] weightScale, String conv, NodeProto.Builder c) {
    float[] v = floats(b);
    if (v.length != weightScale.length) {
      throw new IllegalArgumentException(conv + ": bias has " + v.length + " values for " + weightScale.length
          + " output channels");
    }
    float[] scale = new float[v.length];
    ByteBuffer q = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int o = 0; o < v.length; o++) {
      scale[o] = inputScale * weightScale[o]; // float32, as ONNX Runtime forms the accumulator's unit
      double r = Math.rint(v[o] / (double) scale[o]);
      q.putInt((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, r)));
    }
    String base = b.getName() + "_" + conv;
    String qName = fresh(taken, base + "_int32");
    String sName = fresh(taken, base + "_scale");
    String zName = fresh(taken, base + "_zero_point");
    newInits.add(OnnxGraphBuilder.tensor(qName, TensorProto.DataType.INT32, 4, q.array(), v.length));
    newInits.add(floatVector(sName, scale));
    newInits.add(OnnxGraphBuilder.tensor(zName, TensorProto.DataType.INT32, 4, new byte[4 * v.length], v.length));
    String dq = fresh(taken, base + "_dequantized");
    g.addNode(OnnxGraphBuilder.nodeProto("DequantizeLinear", fresh(taken, "n_DequantizeLinear_" + dq),
        new String[] {qName, sName, zName}, dq, "axis", 0L));
    c.setInput(2, dq);
  }

  private static boolean hasOtherReaders(GraphProto graph, String t, Set<String> convNames) {
    for (NodeProto n : graph.getNodeList()) {
      for (int i = 0; i < n.getInputCount(); i++) {
        if (n.getInput(i).equals(t) && !(i == 0 && convNames.contains(n.getName()))) {
          return true;
        }
      }
    }
    return graph.getOutputList().stream().anyMatch(v -> v.getName().equals(t));
  }

  private static Map<String, TensorProto> initializers(GraphProto graph) {
    Map<String, TensorProto> m = new HashMap<>();
    graph.getInitializerList().forEach(t -> m.put(t.getName(), t));
    return m;
  }

  private static boolean isFloat(TensorProto t) {
    return t != null && t.getDataType() == TensorProto.DataType.FLOAT.getNumber();
  }

  /** Every value and node name of the graph, so that new names never collide. */
  private static Set<String> names(GraphProto graph) {
    Set<String> s = new HashSet<>();
    graph.getInputList().forEach(v -> s.add(v.getName()));
    graph.getOutputList().forEach(v -> s.add(v.getName()));
    graph.getInitializerList().forEach(t -> s.add(t.getName()));
    for (NodeProto n : graph.getNodeList()) {
      s.add(n.getName());
      s.addAll(n.getInputList());
      s.addAll(n.getOutputList());
    }
    return s;
  }

  private static String fresh(Set<String> taken, String wanted) {
    String name = wanted;
    for (int k = 2; !taken.add(name); k++) {
      name = wanted + "_" + k;
    }
    return name;
  }

  static float[] floats(TensorProto t) {
    if (t.getFloatDataCount() > 0) {
      float[] v = new float[t.getFloatDataCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = t.getFloatData(i);
      }
      return v;
    }
    ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[b.remaining() / 4];
    b.asFloatBuffer().get(v);
    return v;
  }

  private static TensorProto scalar(String name, float v) {
    return OnnxGraphBuilder.tensor(name, TensorProto.DataType.FLOAT, 4,
        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
  }

  private static TensorProto floatVector(String name, float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return OnnxGraphBuilder.tensor(name, TensorProto.DataType.FLOAT, 4, b.array(), v.length);
  }
}
