package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.trainer.unet.Autocast;
import org.junit.jupiter.api.Test;

/** Dynamic loss scaling's rules (Micikevicius et al. 2018) and bf16-mixed's choice of compute type. */
class LossScalerTest {

  /** A restored scaler continues the count toward its own growth interval; a non-scaling one has nothing to restore. */
  @Test
  void restoringAStateContinuesTheCountTowardGrowth() {
    LossScaler s = LossScaler.dynamic(65536, 3);
    s.restore(new LossScaler.State(256, 2));
    assertThat(s.state()).isEqualTo(new LossScaler.State(256, 2));
    s.update(true);
    assertThat(s.state()).isEqualTo(new LossScaler.State(512, 0));
    assertThatThrownBy(() -> LossScaler.none().restore(new LossScaler.State(2, 0)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new LossScaler.State(0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void halvesOnOverflowAndDoublesAfterTheGrowthIntervalOfFiniteSteps() {
    LossScaler s = LossScaler.dynamic(1024, 3);
    assertThat(s.isDynamic()).isTrue();
    assertThat(s.update(true)).isTrue();
    assertThat(s.update(true)).isTrue();
    assertThat(s.scale()).isEqualTo(1024);
    assertThat(s.update(false)).as("an overflow skips the step").isFalse();
    assertThat(s.scale()).isEqualTo(512);
    // the count of finite steps restarts after an overflow
    s.update(true);
    s.update(true);
    assertThat(s.scale()).isEqualTo(512);
    s.update(true);
    assertThat(s.scale()).isEqualTo(1024);
    s.update(true);
    s.update(true);
    s.update(true);
    assertThat(s.scale()).isEqualTo(2048);
  }

  @Test
  void pyTorchGradScalerDefaults() {
    LossScaler s = LossScaler.dynamic();
    assertThat(s.scale()).isEqualTo(65536.0);
    for (int i = 0; i < 1999; i++) {
      s.update(true);
    }
    assertThat(s.scale()).isEqualTo(65536.0);
    s.update(true);
    assertThat(s.scale()).isEqualTo(131072.0);
  }

  @Test
  void noScalingKeepsOneAndReportsOverflowsAsFailures() {
    LossScaler s = LossScaler.none();
    assertThat(s.isDynamic()).isFalse();
    assertThat(s.update(false)).isFalse();
    assertThat(s.update(true)).isTrue();
    assertThat(s.scale()).isEqualTo(1.0);
    assertThatThrownBy(() -> LossScaler.dynamic(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bf16MixedComputesInBf16FromAmpereOnAndInFp16Before() {
    assertThat(Precision.computeTypeForCapability("70")).isEqualTo(Autocast.ComputeType.FP16); // V100
    assertThat(Precision.computeTypeForCapability("75")).isEqualTo(Autocast.ComputeType.FP16); // T4
    assertThat(Precision.computeTypeForCapability("80")).isEqualTo(Autocast.ComputeType.BF16); // A100
    assertThat(Precision.computeTypeForCapability("86")).isEqualTo(Autocast.ComputeType.BF16);
    assertThat(Precision.computeTypeForCapability("90")).isEqualTo(Autocast.ComputeType.BF16); // H100
    assertThat(Precision.computeTypeForCapability("120")).isEqualTo(Autocast.ComputeType.BF16);
    assertThat(Precision.BF16_MIXED.computeType(ai.djl.Device.cpu())).isEqualTo(Autocast.ComputeType.BF16);
    assertThat(Precision.FP32.computeType(ai.djl.Device.cpu())).isEqualTo(Autocast.ComputeType.FP32);
  }
}
