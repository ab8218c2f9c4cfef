package dev.jdiffusion.trainer.unet;

import static dev.jdiffusion.trainer.unet.Autocast.ComputeType.BF16;
import static dev.jdiffusion.trainer.unet.Autocast.ComputeType.FP32;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.jdiffusion.trainer.Engines;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The probe that decides between libtorch's NCHW convolution and the channels-last route ({@link
 * FusedOps#routeDifferences}, {@link FusedOps#agree}): it must pass a candidate that computes the same
 * convolution and refuse one whose output, or only whose gradients, are off, whatever this machine's oneDNN
 * does with its own NCHW route. (Whether the routes the UNet takes are right is {@code ConvolutionTest}'s
 * question, against direct sums.)
 */
class ConvolutionRouteProbeTest {
  private static final Shape X = new Shape(2, 8, 12, 12);
  private static final Shape W = new Shape(16, 8, 3, 3);
  private static final String CONV = "torch.conv2d(%s, wb, bb, [1, 1], [1, 1])";

  private static float[] differences(String candidate, String name) {
    try (NDManager manager = NDManager.newBaseManager()) {
      return FusedOps.routeDifferences(candidate, name, X, W, 1, 1, FP32, manager);
    }
  }

  @Test
  void theSameConvolutionAgrees() {
    // the channels-last route itself: the same kernels, so the same numbers
    float[] same = differences(String.format(CONV, "xb.contiguous(memory_format=2)"), "test_same");
    assertThat(same).hasSize(4).containsOnly(0f);
    assertThat(FusedOps.agree(same, FP32)).isTrue();
  }

  @Test
  void anOutputOffByOnePercentIsRefused() {
    float[] scaled = differences(String.format(CONV, "xb") + " * 1.01", "test_scaled");
    assertThat(scaled[0]).isBetween(0.005f, 0.02f);
    assertThat(FusedOps.agree(scaled, FP32)).isFalse();
  }

  @Test
  void rightValuesWithWrongGradientsAreRefused() {
    // forward: y; backward: twice y's gradients (what a corrupt backward pass with a right forward looks like)
    String y = String.format(CONV, "xb");
    float[] doubled = differences("2.0 * " + y + " - " + y + ".detach()", "test_doubled");
    assertThat(doubled[0]).isLessThan(1e-5f);
    assertThat(doubled[1]).isBetween(0.5f, 1.5f);
    assertThat(doubled[2]).isBetween(0.5f, 1.5f);
    assertThat(doubled[3]).isBetween(0.5f, 1.5f);
    assertThat(FusedOps.agree(doubled, FP32)).isFalse();
  }

  @Test
  void onlyChannelCountsThatAreMultiplesOfTheBlockMayTakeTheNchwRoute() {
    assertThat(FusedOps.NCHW_CHANNEL_BLOCK).isEqualTo(32);
    // the reference UNets' inner convolutions: 32, 64, 96 (a skip concatenation), 128 channels
    assertThat(FusedOps.nchwCandidate(new Shape(64, 32, 32, 32), new Shape(32, 32, 3, 3))).isTrue();
    assertThat(FusedOps.nchwCandidate(new Shape(64, 96, 16, 16), new Shape(64, 96, 1, 1))).isTrue();
    assertThat(FusedOps.nchwCandidate(new Shape(2, 128, 4, 4), new Shape(128, 128, 3, 3))).isTrue();
    // a single image (an inference call) takes the channels-last route without a probe
    assertThat(FusedOps.nchwCandidate(new Shape(1, 128, 4, 4), new Shape(128, 128, 3, 3))).isFalse();
    // a padded channel block on either side: where the defect lives (8 and 16 are the CLI tests' networks;
    // 48 input channels at stride 2 were corrupted on the test machine)
    assertThat(FusedOps.nchwCandidate(new Shape(4, 8, 8, 8), new Shape(8, 8, 3, 3))).isFalse();
    assertThat(FusedOps.nchwCandidate(new Shape(4, 16, 8, 8), new Shape(32, 16, 3, 3))).isFalse();
    assertThat(FusedOps.nchwCandidate(new Shape(4, 32, 8, 8), new Shape(16, 32, 3, 3))).isFalse();
    assertThat(FusedOps.nchwCandidate(new Shape(4, 48, 8, 8), new Shape(64, 48, 3, 3))).isFalse();
    // the first and last convolutions of a UNet (one or three image channels)
    assertThat(FusedOps.nchwCandidate(new Shape(64, 1, 32, 32), new Shape(32, 1, 3, 3))).isFalse();
    assertThat(FusedOps.nchwCandidate(new Shape(64, 32, 32, 32), new Shape(3, 32, 3, 3))).isFalse();
    // one pixel: libtorch's im2col route
    assertThat(FusedOps.nchwCandidate(new Shape(4, 64, 1, 1), new Shape(64, 64, 1, 1))).isFalse();
  }

  /**
   * Every shape the channel rule ({@link FusedOps#nchwCandidate}) admits out of 16 to 96 channels, probed on
   * memory filled with NaN first (a copy that leaves part of its destination unwritten then reads NaN):
   * libtorch's NCHW route agrees with the channels-last route in float32 and bfloat16, at batch 2 and 4, 4x4
   * to 16x16 pixels, 3x3 kernels at strides 1 and 2 and 1x1 kernels. On this project's test machine a rule
   * of multiples of 16 would fail here (48 input channels at stride 2; docs/testing.md).
   */
  @TestFactory
  Stream<DynamicTest> theNchwRouteAgreesOnPoisonedMemoryWhereverTheRuleAdmitsIt() {
    Engines.pytorch();
    int[] channels = {16, 32, 48, 64, 96};
    List<DynamicTest> tests = new ArrayList<>();
    for (Autocast.ComputeType type : new Autocast.ComputeType[] {FP32, BF16}) {
      for (int batch : new int[] {2, 4}) {
        for (int size : new int[] {4, 7, 16}) {
          for (int in : channels) {
            for (int out : channels) {
              for (int[] k : new int[][] {{3, 1, 1}, {3, 2, 1}, {1, 1, 0}}) {
                Shape x = new Shape(batch, in, size, size);
                Shape w = new Shape(out, in, k[0], k[0]);
                if (!FusedOps.nchwCandidate(x, w)) {
                  continue;
                }
                tests.add(DynamicTest.dynamicTest(type + " " + x + " " + w + " stride " + k[1], () -> {
                  try (NDManager manager = NDManager.newBaseManager()) {
                    NDArray like = manager.zeros(new Shape(1));
                    assertThat(FusedOps.probeNchw(x, w, k[1], k[2], type, like)).isTrue();
                  }
                }));
              }
            }
          }
        }
      }
    }
    assertThat(tests).hasSize(2 * 2 * 3 * 3 * 3 * 3); // 32, 64 and 96 channels in and out
    return tests.stream();
  }

  @Test
  void lowPrecisionAllowsARoundingButNotAnError() {
    assertThat(FusedOps.agree(new float[] {0.008f, 0.02f, 0.01f, 0f}, BF16)).isTrue();
    assertThat(FusedOps.agree(new float[] {0.008f, 0.02f, 0.01f, 0f}, FP32)).isFalse();
    assertThat(FusedOps.agree(new float[] {0.008f, 0.6f, 0.01f, 0f}, BF16)).isFalse();
  }

  @Test
  void notFiniteIsRefused() {
    assertThat(FusedOps.agree(new float[] {0f, Float.NaN, 0f, 0f}, FP32)).isFalse();
    assertThat(FusedOps.agree(new float[] {0f, 1e-4f, 0f, Float.POSITIVE_INFINITY}, FP32)).isFalse();
    assertThat(FusedOps.agree(new float[] {1e-6f, 1e-4f, 0f, 0f}, FP32)).isTrue();
  }
}
