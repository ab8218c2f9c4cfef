package dev.jdiffusion.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelMetadataTest {
  static ModelMetadata sample() {
    NoiseSchedule s = NoiseSchedule.fromBetas(new double[] {0.1, 0.2, 0.3});
    return new ModelMetadata("0.1", "eps", s.alphabars(),
        ModelMetadata.coefficientTables(s, (sched, t) -> new Coefficients(0, 1, 1 / Math.sqrt(sched.alphabar(t)),
            -Math.sqrt(sched.sigma2(t) / sched.alphabar(t)), 0, 1)),
        "{\"name\":\"linear\"}", new ImageShape(1, 32, 32), -1, 1, "{\"name\":\"uniform\"}", "{}", 42, "ema");
  }

  @Test
  void roundTripsExactly() {
    ModelMetadata m = sample();
    ModelMetadata back = ModelMetadata.fromProperties("m.onnx", m.toProperties());
    assertThat(back).isEqualTo(m);
    assertThat(back.alphabar()).containsExactly(m.alphabar());
    assertThat(back.epsFromOutput(2)).isEqualTo(1.0);
  }

  /** The documented encoding, decoded independently: base64 of little-endian binary64. */
  @Test
  void alphabarIsBase64LittleEndianFloat64() {
    String b64 = sample().toProperties().get("jdiffusion.alphabar");
    byte[] bytes = java.util.Base64.getDecoder().decode(b64);
    assertThat(bytes).hasSize(24);
    long bits = 0;
    for (int i = 7; i >= 0; i--) {
      bits = (bits << 8) | (bytes[i] & 0xff);
    }
    assertThat(Double.longBitsToDouble(bits)).isEqualTo(0.9, org.assertj.core.api.Assertions.within(1e-15));
  }

  @Test
  void missingOrMalformedKeysAreNamed() {
    Map<String, String> props = new HashMap<>(sample().toProperties());
    props.remove("jdiffusion.alphabar");
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", props))
        .hasMessage("m.onnx: metadata key jdiffusion.alphabar is missing; is this a model exported by jdiffusion?");
    Map<String, String> short_ = new HashMap<>(sample().toProperties());
    short_.put("jdiffusion.timesteps", "4");
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", short_))
        .hasMessage("m.onnx: metadata jdiffusion.alphabar holds 24 bytes; expected 32 (T = 4 float64 values)");
    Map<String, String> v2 = new HashMap<>(sample().toProperties());
    v2.put("jdiffusion.format_version", "2");
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", v2))
        .hasMessageContaining("format_version 2 is not supported");
  }

  @Test
  void nanOrIncreasingAlphabarAndAbsurdShapesAreRefused() {
    Map<String, String> nan = new HashMap<>(sample().toProperties());
    nan.put("jdiffusion.alphabar", ModelMetadata.encode(new double[] {0.9, Double.NaN, 0.5}));
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", nan))
        .hasMessage("m.onnx: metadata jdiffusion.alphabar[1] = NaN is not allowed: must be in [0, 1] and not above"
            + " alphabar[t - 1]");
    Map<String, String> up = new HashMap<>(sample().toProperties());
    up.put("jdiffusion.alphabar", ModelMetadata.encode(new double[] {0.5, 0.9, 0.1}));
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", up)).hasMessageContaining("alphabar[1] = 0.9");
    Map<String, String> nanCoefficient = new HashMap<>(sample().toProperties());
    nanCoefficient.put("jdiffusion.eps_from_output", ModelMetadata.encode(new double[] {1, Double.NaN, 1}));
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", nanCoefficient))
        .hasMessage("m.onnx: metadata jdiffusion.eps_from_output[1] is NaN");
    Map<String, String> huge = new HashMap<>(sample().toProperties());
    huge.put("jdiffusion.timesteps", "2000000000");
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", huge))
        .hasMessage("m.onnx: metadata jdiffusion.timesteps = 2000000000 is not allowed: must be in [2, 100000]");
    Map<String, String> channels = new HashMap<>(sample().toProperties());
    channels.put("jdiffusion.image.channels", "0");
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", channels))
        .hasMessageStartingWith("m.onnx: metadata jdiffusion.image.*: image shape must be positive");
    Map<String, String> range = new HashMap<>(sample().toProperties());
    range.put("jdiffusion.pixel.max", "NaN");
    assertThatThrownBy(() -> ModelMetadata.fromProperties("m.onnx", range)).hasMessageContaining("pixel.max = NaN");
  }

  @Test
  void coefficientTablesAreTheParameterizationsEstimates() {
    ModelMetadata m = sample();
    NoiseSchedule s = NoiseSchedule.fromBetas(new double[] {0.1, 0.2, 0.3});
    for (int t = 0; t < 3; t++) {
      double a = 1;
      for (int j = 0; j <= t; j++) {
        a *= 1 - new double[] {0.1, 0.2, 0.3}[j];
      }
      assertThat(m.x0FromXt(t)).isCloseTo(1 / Math.sqrt(a), org.assertj.core.api.Assertions.within(1e-14));
      assertThat(m.x0FromOutput(t)).isCloseTo(-Math.sqrt((1 - a) / a), org.assertj.core.api.Assertions.within(1e-14));
      assertThat(m.epsFromXt(t)).isZero();
      assertThat(m.epsFromOutput(t)).isEqualTo(1);
    }
    assertThat(m.timesteps()).isEqualTo(s.timesteps());
  }

  @Test
  void equalityIsByValue() {
    ModelMetadata a = sample();
    ModelMetadata b = sample();
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.hashCode()).isEqualTo(a.toProperties().hashCode());
    ModelMetadata later = new ModelMetadata("0.1", "eps", a.alphabar(), a.estimateCoefficients(), a.scheduleJson(),
        a.imageShape(), -1, 1, a.weighterJson(), a.datasetJson(), 43, "ema");
    assertThat(a).isNotEqualTo(later).isNotEqualTo("not metadata");
    double[][] other = {a.estimateCoefficients()[0].clone(), a.estimateCoefficients()[1].clone(),
        a.estimateCoefficients()[2].clone(), a.estimateCoefficients()[3].clone()};
    other[2][1] = 0.5;
    assertThat(a).isNotEqualTo(new ModelMetadata("0.1", "eps", a.alphabar(), other, a.scheduleJson(),
        a.imageShape(), -1, 1, a.weighterJson(), a.datasetJson(), 42, "ema"));
    assertThat(a.toString()).isEqualTo("ModelMetadata[eps, T = 3, 1x32x32, step 42]");
  }
}
