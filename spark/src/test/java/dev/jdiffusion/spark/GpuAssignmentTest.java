package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

class GpuAssignmentTest {
  static Map<String, ResourceInformation> gpus(String... addresses) {
    return Map.of("gpu", new ResourceInformation("gpu", addresses));
  }

  @Test
  void withoutAGpuTheConfiguredDeviceStays() {
    assertThat(GpuAssignment.device(Map.of(), "auto")).isEqualTo("auto");
    assertThat(GpuAssignment.device(Map.of(), "gpu:1")).isEqualTo("gpu:1");
    assertThat(GpuAssignment.device(gpus(), "cpu")).isEqualTo("cpu");
    assertThat(GpuAssignment.device(Map.of("fpga", new ResourceInformation("fpga", new String[] {"0"})), "auto"))
        .isEqualTo("auto");
  }

  @Test
  void theAssignedGpuReplacesAutoAndAnyConfiguredIndex() {
    assertThat(GpuAssignment.device(gpus("3"), "auto")).isEqualTo("gpu:3");
    assertThat(GpuAssignment.device(gpus("0"), "gpu:2")).isEqualTo("gpu:0");
    assertThat(GpuAssignment.device(gpus(" 12 "), "auto")).isEqualTo("gpu:12");
    assertThat(GpuAssignment.assignedGpu(gpus("5"))).hasValue(5);
  }

  @Test
  void anExplicitCpuStaysOnTheCpu() {
    assertThat(GpuAssignment.device(gpus("3"), "cpu")).isEqualTo("cpu");
  }

  @Test
  void severalGpusOrAnAddressThatIsNoIndexAreRefused() {
    assertThatThrownBy(() -> GpuAssignment.device(gpus("0", "1"), "auto"))
        .hasMessage("Spark gave this task the GPUs [0, 1], but a run trains on one GPU: set"
            + " spark.task.resource.gpu.amount=1 (or a fraction to share a GPU)");
    assertThatThrownBy(() -> GpuAssignment.device(gpus("GPU-5d0f"), "auto"))
        .hasMessageStartingWith("Spark gave this task the GPU address 'GPU-5d0f', which is not a CUDA device index");
  }

  @Test
  void outsideASparkTaskTheConfiguredDeviceStays() {
    assertThat(GpuAssignment.currentTaskDevice("auto")).isEqualTo("auto");
  }
}
