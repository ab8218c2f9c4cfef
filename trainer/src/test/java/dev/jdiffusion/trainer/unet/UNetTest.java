package dev.jdiffusion.trainer.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.junit.jupiter.api.Test;

class UNetTest {

  /**
   * The counts of the PyTorch reference (benchmarks/pytorch_unet.py prints the same numbers): e.g.
   * unet-s = 6,469,889, DESIGN.md's "about 6.47 M".
   */
  @Test
  void presetsHaveTheReferenceParameterCounts() {
    try (NDManager manager = NDManager.newBaseManager()) {
      assertThat(initialized(manager, UNetConfig.unetXs(1, 32), 1).parameterCount()).isEqualTo(701_345L);
      assertThat(initialized(manager, UNetConfig.unetS(1, 32), 1).parameterCount()).isEqualTo(6_469_889L);
    }
  }

  @Test
  void structureIsIntrospectable() {
    UNet net = new UNet(UNetConfig.unetXs(1, 32));
    // level 0: res; downsample; level 1: res + attention (16x16)
    assertThat(net.downUnits()).hasSize(3);
    assertThat(net.downUnits().get(0)).singleElement().isInstanceOf(ResidualBlock.class);
    assertThat(net.downUnits().get(1)).singleElement().isInstanceOf(Downsample.class);
    assertThat(net.downUnits().get(2)).hasSize(2).last().isInstanceOf(AttentionBlock.class);
    // level 1: 2 x (res + attention); upsample; level 0: 2 x res
    assertThat(net.upUnits()).hasSize(5);
    assertThat(net.upUnits().get(2)).singleElement().isInstanceOf(Upsample.class);
    ResidualBlock first = (ResidualBlock) net.upUnits().get(0).get(0);
    assertThat(first.inChannels()).isEqualTo(128); // 64 + the 64-channel skip
    assertThat(first.skip()).isPresent();
    assertThat(net.getChildren().keys()).first().asString().endsWith("time_embed");
    assertThat(net.getChildren().keys()).last().asString().endsWith("conv_out");
  }

  @Test
  void forwardKeepsTheImageShapeAndDependsOnTheTimestep() {
    try (NDManager manager = NDManager.newBaseManager()) {
      // base 64: groups of 2 channels. With one channel per group (base <= 32) every group norm after the
      // timestep projection removes that per-channel shift exactly, and the output does not depend on t
      // at all beyond rounding.
      UNetConfig cfg = new UNetConfig(1, 8, 64, List.of(1, 2), 1, List.of(4), 0);
      UNet net = initialized(manager, cfg, 2);
      NDArray x = manager.randomNormal(new Shape(2, 1, 8, 8));
      NDArray y1 = forward(net, manager, x, new float[] {3, 3});
      NDArray y2 = forward(net, manager, x, new float[] {3, 700});
      assertThat(y1.getShape()).isEqualTo(new Shape(2, 1, 8, 8));
      assertThat(y1.get(0).allClose(y2.get(0))).isTrue();
      assertThat(y1.get(1).allClose(y2.get(1))).isFalse();
    }
  }

  @Test
  void groupNormMatchesADoublePrecisionComputation() {
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] data = new float[2 * 4 * 3 * 3];
      for (int i = 0; i < data.length; i++) {
        data[i] = (float) Math.sin(i * 1.7) * (1 + i % 5);
      }
      NDArray x = manager.create(data, new Shape(2, 4, 3, 3));
      NDArray gamma = manager.create(new float[] {1f, 2f, 0.5f, -1f});
      NDArray beta = manager.create(new float[] {0f, 0.1f, -0.2f, 0.3f});
      float[] y = GroupNorm.groupNorm(x, gamma, beta, 2).toFloatArray();
      int per = 2 * 9; // 2 channels of 3x3 per group
      for (int b = 0; b < 2; b++) {
        for (int g = 0; g < 2; g++) {
          int from = b * 36 + g * per;
          double mean = 0;
          for (int i = 0; i < per; i++) {
            mean += data[from + i];
          }
          mean /= per;
          double var = 0;
          for (int i = 0; i < per; i++) {
            var += (data[from + i] - mean) * (data[from + i] - mean);
          }
          var /= per;
          for (int i = 0; i < per; i++) {
            int c = g * 2 + i / 9;
            double expected = (data[from + i] - mean) / Math.sqrt(var + 1e-5) * gamma.getFloat(c)
                + beta.getFloat(c);
            assertThat((double) y[from + i]).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5));
          }
        }
      }
    }
  }

  @Test
  void invalidConfigNamesTheField() {
    assertThatThrownBy(() -> new UNetConfig(1, 30, 32, List.of(1, 2, 2), 1, List.of(), 0))
        .hasMessageContaining("model.imageSize = 30").hasMessageContaining("multiple of 2^(levels - 1) = 4");
    assertThatThrownBy(() -> new UNetConfig(1, 32, 48, List.of(1), 1, List.of(), 0))
        .hasMessageContaining("model.channelMultipliers");
    assertThatThrownBy(() -> UNetConfig.preset("unet-xl", 1, 32))
        .hasMessageContaining("model.preset = unet-xl").hasMessageContaining("unet-xs");
    // Every width is fine, but the decoder concatenates 32 + 16 = 48 channels, which 32 groups do not divide.
    assertThatThrownBy(() -> new UNetConfig(1, 28, 16, List.of(1, 2), 1, List.of(), 0))
        .hasMessageContaining("model.channelMultipliers").hasMessageContaining("got 48");
  }

  @Test
  void decoderInputWidthsAreTheWidthsTheNetworkNormalizes() {
    // By hand for base 32, (1, 2), 1 block: down pushes 32 (conv_in), 32 (res), 32 (downsample), 64 (res);
    // up at level 1: 64 + 64, 64 + 32; at level 0: 64 + 32, 32 + 32.
    assertThat(UNetConfig.decoderInputWidths(32, List.of(1, 2), 1)).containsExactly(128, 96, 96, 64);
    // Every configuration the constructor accepts builds (the widths it checks are the ones GroupNorm gets).
    for (int base : new int[] {8, 16, 32, 64}) {
      for (List<Integer> mult : List.of(List.of(1, 2), List.of(1, 2, 2), List.of(1, 1, 2, 4))) {
        UNetConfig cfg;
        try {
          cfg = new UNetConfig(1, 32, base, mult, 1, List.of(), 0);
        } catch (IllegalArgumentException e) {
          continue;
        }
        new UNet(cfg);
      }
    }
  }

  static UNet initialized(NDManager manager, UNetConfig cfg, int batch) {
    UNet net = new UNet(cfg);
    net.initialize(manager, DataType.FLOAT32,
        new Shape(batch, cfg.imageChannels(), cfg.imageSize(), cfg.imageSize()), new Shape(batch));
    return net;
  }

  static NDArray forward(Block net, NDManager manager, NDArray x, float[] t) {
    return net.forward(new ParameterStore(manager, false), new NDList(x, manager.create(t)), false)
        .singletonOrThrow();
  }
}
