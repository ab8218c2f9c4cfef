package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class EnginesTest {

  @Test
  void aGpuWhereTheEngineSeesNoneFailsWithOneLineSayingSo() {
    assumeTrue(Engines.pytorch().getGpuCount() == 0, "this machine has a GPU");
    for (String name : new String[] {"gpu", "gpu:0", "gpu:1"}) {
      assertThatThrownBy(() -> Engines.device(name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("training.device = " + name + " but there is no usable GPU")
          .hasMessageContaining("CUDA")
          .hasMessageNotContaining("\n");
    }
    assertThat(Engines.device("auto")).isEqualTo(Device.cpu());
    assertThat(Engines.device("cpu")).isEqualTo(Device.cpu());
  }
}
