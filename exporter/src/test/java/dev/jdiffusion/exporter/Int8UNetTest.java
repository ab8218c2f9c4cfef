package dev.jdiffusion.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.jdiffusion.exporter.onnx.OnnxCheckerAccess;
import dev.jdiffusion.exporter.quantize.Int8Quantizer;
import dev.jdiffusion.exporter.quantize.ModelInputs;
import dev.jdiffusion.exporter.quantize.QdqRewrite;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.trainer.unet.UNet;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The int8 QDQ form of a whole exported UNet (random weights, attention, 2 levels): its structure, that
 * ONNX Runtime fuses every quantized convolution into {@code QLinearConv}, and that ONNX Runtime's integer
 * kernels compute what the QDQ graph means. For the last, {@code qdq_reference.py} (an ONNX evaluator
 * written from the operator specification, float64, PyTorch) runs the float32 and the QDQ model on the same
 * inputs: the error that quantization causes there, {@code rms(qdq - float32)}, must match ONNX Runtime's
 * {@code rms(int8 - float32)} within 25%. (Element by element the two int8 results differ by single
 * quantization levels wherever a value lies within float32 rounding of a step's edge, and such flips
 * spread downstream; their size is that of the quantization error itself, so the comparison is of the
 * error's size, not of elements. A wrong scale, zero point, bias unit or a saturating integer kernel would
 * change the size by far more.) The per-element bound from the quantization steps is
 * {@code SingleConvolutionTest}'s.
 */
class Int8UNetTest {
  static final UNetConfig CONFIG = new UNetConfig(1, 16, 32, List.of(1, 2), 1, List.of(8), 0);
  static final ImageShape SHAPE = new ImageShape(1, 16, 16);
  static ModelProto fp32;
  static Int8Quantizer.Result int8;
  static ModelInputs evaluation;

  @BeforeAll
  static void quantize() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      UNet net = UNetExporterParityTest.randomNetwork(CONFIG, m, 5);
      fp32 = UNetExporter.export(net, "eps", Map.of("jdiffusion.parameterization", "eps"), "test");
    }
    int8 = Int8Quantizer.quantize(fp32, inputs(16, 1), Map.of("jdiffusion.quantization.calibration", "test"));
    evaluation = inputs(6, 2);
  }

  static ModelInputs inputs(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * SHAPE.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      t[i] = r.nextInt(1000);
    }
    return new ModelInputs(x, t, SHAPE);
  }

  @Test
  void everyConvolutionButTheFirstAndLastReadsQdqInputs(@TempDir Path dir) throws Exception {
    GraphProto g = int8.model().getGraph();
    Map<String, NodeProto> producer = new HashMap<>();
    Map<String, List<NodeProto>> readers = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      n.getOutputList().forEach(o -> producer.put(o, n));
      n.getInputList().forEach(i -> readers.computeIfAbsent(i, k -> new ArrayList<>()).add(n));
    }
    Map<String, TensorProto> inits = g.getInitializerList().stream()
        .collect(Collectors.toMap(TensorProto::getName, t -> t));
    Map<String, TensorProto> fp32Inits = fp32.getGraph().getInitializerList().stream()
        .collect(Collectors.toMap(TensorProto::getName, t -> t));

    List<NodeProto> convs = g.getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).toList();
    long fp32Convs = fp32.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).count();
    assertThat(convs).hasSize((int) fp32Convs);
    assertThat(int8.convolutions()).isEqualTo(fp32Convs);
    assertThat(int8.quantized()).isEqualTo(fp32Convs - 2);

    int quantized = 0;
    for (NodeProto c : convs) {
      if (c.getInput(0).equals("x") || c.getOutput(0).equals("eps")) {
        assertThat(producer.get(c.getInput(1))).as("the first and last convolutions keep float32 weights").isNull();
        assertThat(inits.get(c.getInput(1)).getDataType()).isEqualTo(TensorProto.DataType.FLOAT.getNumber());
        continue;
      }
      quantized++;
      NodeProto dx = producer.get(c.getInput(0));
      assertThat(dx.getOpType()).isEqualTo("DequantizeLinear");
      assertThat(producer.get(dx.getInput(0)).getOpType()).isEqualTo("QuantizeLinear");
      assertThat(inits.get(dx.getInput(2)).getDataType()).isEqualTo(TensorProto.DataType.UINT8.getNumber());
      assertThat(readers.get(dx.getOutput(0))).as("each convolution has a DequantizeLinear of its own").hasSize(1);

      NodeProto dw = producer.get(c.getInput(1));
      assertThat(dw.getOpType()).isEqualTo("DequantizeLinear");
      TensorProto w = inits.get(dw.getInput(0));
      assertThat(w.getDataType()).isEqualTo(TensorProto.DataType.INT8.getNumber());
      assertThat(w.getDimsCount()).isEqualTo(4);
      assertThat(inits.get(dw.getInput(1)).getDims(0)).as("one weight scale per output channel").isEqualTo(w.getDims(0));
      assertThat(dw.getAttributeList()).anySatisfy(a -> {
        assertThat(a.getName()).isEqualTo("axis");
        assertThat(a.getI()).isZero();
      });
      byte[] q = w.getRawData().toByteArray();
      int per = q.length / (int) w.getDims(0);
      for (int o = 0; o < w.getDims(0); o++) {
        int max = 0;
        for (int i = 0; i < per; i++) {
          assertThat((int) q[o * per + i]).isBetween(-127, 127);
          max = Math.max(max, Math.abs(q[o * per + i]));
        }
        assertThat(max).as("symmetric per channel: the largest weight of each channel is +-127").isEqualTo(127);
      }

      NodeProto db = producer.get(c.getInput(2));
      assertThat(db.getOpType()).isEqualTo("DequantizeLinear");
      assertThat(inits.get(db.getInput(0)).getDataType()).isEqualTo(TensorProto.DataType.INT32.getNumber());

      List<NodeProto> out = readers.get(c.getOutput(0));
      assertThat(out).hasSize(1);
      assertThat(out.get(0).getOpType()).isEqualTo("QuantizeLinear");
    }
    assertThat(quantized).isEqualTo(int8.quantized());
    // the float32 weights of the quantized convolutions are gone
    List<String> kept = fp32.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv"))
        .map(n -> n.getInput(1)).filter(inits::containsKey).toList();
    assertThat(kept).hasSize(2);
    assertThat(fp32Inits).containsKeys(kept.toArray(String[]::new));

    assertThat(Int8Quantizer.optimizedOperators(int8.model()))
        .containsEntry("com.microsoft:QLinearConv", int8.quantized())
        .doesNotContainKey("ai.onnx:Conv");

    Map<String, String> meta = int8.model().getMetadataPropsList().stream()
        .collect(Collectors.toMap(StringStringEntryProto::getKey, StringStringEntryProto::getValue));
    assertThat(meta).containsEntry(QdqRewrite.METADATA_KEY, "int8")
        .containsEntry("jdiffusion.parameterization", "eps")
        .containsEntry("jdiffusion.quantization.calibration", "test");

    Path file = dir.resolve("int8.onnx");
    Files.write(file, int8.model().toByteArray());
    OnnxCheckerAccess.assertValid(file);
  }

  @Test
  void onnxRuntimesInt8ErrorIsTheErrorTheQdqGraphDefines(@TempDir Path dir) throws Exception {
    float[] ortFp32 = Int8Quantizer.run(fp32, "eps", evaluation);
    float[] ortInt8 = Int8Quantizer.run(int8.model(), "eps", evaluation);
    double[] refFp32 = reference(fp32, dir, "fp32");
    double[] refInt8 = reference(int8.model(), dir, "int8");

    double evaluatorParity = 0;
    for (int i = 0; i < ortFp32.length; i++) {
      evaluatorParity = Math.max(evaluatorParity, Math.abs(ortFp32[i] - refFp32[i]));
    }
    assertThat(evaluatorParity).as("the reference evaluator computes the float32 model as ONNX Runtime does")
        .isLessThan(1e-4);

    double ortError = rms(ortInt8, ortFp32);
    double qdqError = rms(toFloat(refInt8), toFloat(refFp32));
    double scale = rms(ortFp32, new float[ortFp32.length]);
    System.out.printf("rms output %.4g; rms(int8 - fp32): ONNX Runtime %.4g, QDQ reference %.4g (ratio %.3f)%n",
        scale, ortError, qdqError, ortError / qdqError);
    assertThat(qdqError).as("quantization changes the output").isGreaterThan(1e-3 * scale);
    assertThat(ortError / qdqError).isCloseTo(1.0, within(0.25));
  }

  private static double[] reference(ModelProto model, Path dir, String name) throws Exception {
    Path file = dir.resolve(name + ".onnx");
    Files.write(file, model.toByteArray());
    Path x = dir.resolve("x.f32");
    Path t = dir.resolve("t.i64");
    ByteBuffer xb = ByteBuffer.allocate(4 * evaluation.x().length).order(ByteOrder.LITTLE_ENDIAN);
    xb.asFloatBuffer().put(evaluation.x());
    Files.write(x, xb.array());
    ByteBuffer tb = ByteBuffer.allocate(8 * evaluation.size()).order(ByteOrder.LITTLE_ENDIAN);
    tb.asLongBuffer().put(evaluation.t());
    Files.write(t, tb.array());
    Path out = dir.resolve(name + ".f64");
    Path script = Path.of(Int8UNetTest.class.getResource("quantize/qdq_reference.py").toURI());
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    Process p = new ProcessBuilder(python, script.toString(), file.toString(), x.toString(), t.toString(),
        Integer.toString(evaluation.size()), Integer.toString(SHAPE.channels()), Integer.toString(SHAPE.height()),
        Integer.toString(SHAPE.width()), out.toString(), "eps").redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("qdq_reference.py finished").isTrue();
    assertThat(p.exitValue()).as("qdq_reference.py (needs python3-onnx and python3-torch) failed:%n%s", log).isZero();
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
    double[] v = new double[b.remaining() / 8];
    b.asDoubleBuffer().get(v);
    return v;
  }

  private static float[] toFloat(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }

  private static double rms(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s / a.length);
  }
}
