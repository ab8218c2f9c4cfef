package dev.jdiffusion.exporter.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.jdiffusion.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A small builder of ONNX graphs over the generated protobuf classes ({@code ai.onnx.proto.OnnxMl}): typed
 * inputs and outputs with a symbolic batch dimension, float initializers, nodes with attributes, and
 * {@code metadata_props}. Node output names are made unique with a per-prefix counter, so block
 * exporters can call {@link #node} without bookkeeping.
 *
 * <p>Opset: {@link #OPSET} of the default {@code ai.onnx} domain, which ONNX Runtime 1.23 (and most other
 * runtimes) accept; every op used here exists unchanged at that opset.
 */
public final class OnnxGraphBuilder {
  /** The {@code ai.onnx} opset the exported models declare. */
  public static final int OPSET = 17;
  /** ONNX IR version matching opset 17 (ONNX 1.12). */
  public static final long IR_VERSION = 8;

  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final Map<String, Integer> counters = new HashMap<>();
  private final Map<String, String> metadata = new java.util.LinkedHashMap<>();

  public OnnxGraphBuilder(String graphName) {
    graph.setName(graphName);
  }

  /** A fresh value name {@code prefix_k}. */
  public String fresh(String prefix) {
    int k = counters.merge(prefix, 1, Integer::sum);
    return prefix + "_" + k;
  }

  /**
   * Declares a graph input. A dimension given as {@code -1} becomes the symbolic dimension {@code N}.
   *
   * @param elemType e.g. {@code TensorProto.DataType.FLOAT}
   */
  public OnnxGraphBuilder input(String name, TensorProto.DataType elemType, long... dims) {
    graph.addInput(valueInfo(name, elemType, dims));
    return this;
  }

  /** Declares a graph output; {@code -1} dimensions are symbolic {@code N}. */
  public OnnxGraphBuilder output(String name, TensorProto.DataType elemType, long... dims) {
    graph.addOutput(valueInfo(name, elemType, dims));
    return this;
  }

  private static ValueInfoProto valueInfo(String name, TensorProto.DataType elemType, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(elemType.getNumber()).setShape(shape)))
        .build();
  }

  /** Adds a float32 initializer (a constant, e.g. a weight) and returns its name. */
  public String floats(String prefix, float[] values, long... dims) {
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    if (count != values.length) {
      throw new IllegalArgumentException(prefix + ": " + values.length + " values do not fill shape "
          + java.util.Arrays.toString(dims));
    }
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      bytes.putFloat(v);
    }
    bytes.flip();
    String name = fresh(prefix);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.FLOAT.getNumber())
        .setRawData(com.google.protobuf.ByteString.copyFrom(bytes));
    for (long d : dims) {
      t.addDims(d);
    }
    graph.addInitializer(t);
    return name;
  }

  /** Adds an int64 initializer (shapes, axes) and returns its name. */
  public String longs(String prefix, long... values) {
    String name = fresh(prefix);
    graph.addInitializer(TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.INT64.getNumber())
        .addDims(values.length)
        .addAllInt64Data(java.util.Arrays.stream(values).boxed().toList()));
    return name;
  }

  /** A float32 scalar constant (shape []). */
  public String scalar(String prefix, float value) {
    return floats(prefix, new float[] {value});
  }

  /**
   * Adds a node with one output and returns the output's name.
   *
   * @param attributes pairs of name and value: Long/Integer, Float/Double, String, long[] or float[]
   */
  public String node(String opType, String[] inputs, Object... attributes) {
    String out = fresh(opType.toLowerCase(java.util.Locale.ROOT));
    nodeInto(opType, inputs, out, attributes);
    return out;
  }

  /** Adds a node whose single output has a given name (e.g. the graph output). */
  public void nodeInto(String opType, String[] inputs, String output, Object... attributes) {
    graph.addNode(nodeProto(opType, fresh("n_" + opType), inputs, output, attributes));
  }

  /**
   * A node of the default domain with one output, for code that edits an existing graph.
   *
   * @param attributes pairs of name and value, as for {@link #node}
   */
  public static NodeProto nodeProto(String opType, String name, String[] inputs, String output,
      Object... attributes) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(name).addOutput(output);
    for (String in : inputs) {
      n.addInput(in);
    }
    if (attributes.length % 2 != 0) {
      throw new IllegalArgumentException("attributes come in name/value pairs");
    }
    for (int i = 0; i < attributes.length; i += 2) {
      n.addAttribute(attribute((String) attributes[i], attributes[i + 1]));
    }
    return n.build();
  }

  /**
   * An initializer of any element type from its little-endian bytes ({@code raw_data}), for code that edits
   * an existing graph.
   *
   * @throws IllegalArgumentException when the bytes do not fill the shape
   */
  public static TensorProto tensor(String name, TensorProto.DataType elemType, int bytesPerValue,
      byte[] littleEndian, long... dims) {
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    if (count * bytesPerValue != littleEndian.length) {
      throw new IllegalArgumentException(name + ": " + littleEndian.length + " bytes do not fill shape "
          + java.util.Arrays.toString(dims) + " of " + bytesPerValue + "-byte values");
    }
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(elemType.getNumber())
        .setRawData(com.google.protobuf.ByteString.copyFrom(littleEndian));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static AttributeProto attribute(String name, Object value) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
    if (value instanceof Integer || value instanceof Long) {
      a.setType(AttributeProto.AttributeType.INT).setI(((Number) value).longValue());
    } else if (value instanceof Float || value instanceof Double) {
      a.setType(AttributeProto.AttributeType.FLOAT).setF(((Number) value).floatValue());
    } else if (value instanceof String s) {
      a.setType(AttributeProto.AttributeType.STRING).setS(com.google.protobuf.ByteString.copyFromUtf8(s));
    } else if (value instanceof long[] ls) {
      a.setType(AttributeProto.AttributeType.INTS);
      for (long l : ls) {
        a.addInts(l);
      }
    } else if (value instanceof float[] fs) {
      a.setType(AttributeProto.AttributeType.FLOATS);
      for (float f : fs) {
        a.addFloats(f);
      }
    } else {
      throw new IllegalArgumentException("unsupported attribute type for " + name + ": " + value);
    }
    return a.build();
  }

  /** Adds one {@code metadata_props} entry. */
  public OnnxGraphBuilder metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  public OnnxGraphBuilder metadata(Map<String, String> entries) {
    metadata.putAll(entries);
    return this;
  }

  public ModelProto build(String producerVersion) {
    ModelProto.Builder m = ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("jdiffusion")
        .setProducerVersion(producerVersion)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(graph);
    metadata.forEach((k, v) -> m.addMetadataProps(
        OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }

  /** Writes a model atomically (see {@link AtomicFiles}). */
  public static void write(ModelProto model, Path file) throws IOException {
    AtomicFiles.write(file, model::writeTo);
  }
}
