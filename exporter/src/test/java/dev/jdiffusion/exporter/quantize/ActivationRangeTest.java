package dev.jdiffusion.exporter.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** uint8 scale and zero point of a range, worked by hand from the ONNX QuantizeLinear definition. */
class ActivationRangeTest {
  @Test
  void aRangeAcrossZeroKeepsZeroExact() {
    ActivationRange r = new ActivationRange(-1, 3);
    assertThat((double) r.scale()).isCloseTo(4.0 / 255, within(1e-9));
    assertThat(r.zeroPoint()).isEqualTo(64); // 1 / (4/255) = 63.75
  }

  @Test
  void aOneSidedRangeIsWidenedToHoldZero() {
    assertThat((double) new ActivationRange(0.5, 2).scale()).isCloseTo(2.0 / 255, within(1e-9));
    assertThat(new ActivationRange(0.5, 2).zeroPoint()).isZero();
    assertThat((double) new ActivationRange(-3, -1).scale()).isCloseTo(3.0 / 255, within(1e-9));
    assertThat(new ActivationRange(-3, -1).zeroPoint()).isEqualTo(255);
  }

  @Test
  void aTensorThatWasAlwaysZeroGetsAUsableScale() {
    assertThat(new ActivationRange(0, 0).scale()).isEqualTo(1f);
    assertThat(new ActivationRange(0, 0).zeroPoint()).isZero();
  }

  @Test
  void unionAndBadRanges() {
    assertThat(new ActivationRange(-1, 2).union(new ActivationRange(0, 5))).isEqualTo(new ActivationRange(-1, 5));
    assertThatThrownBy(() -> new ActivationRange(Double.NaN, 1)).hasMessageContaining("finite");
    assertThatThrownBy(() -> new ActivationRange(0, Double.POSITIVE_INFINITY)).hasMessageContaining("finite");
    assertThatThrownBy(() -> new ActivationRange(2, 1)).hasMessageContaining("min <= max");
  }
}
