package dev.jdiffusion.trainer.unet;

import static dev.jdiffusion.trainer.unet.Autocast.ComputeType.BF16;
import static dev.jdiffusion.trainer.unet.Autocast.ComputeType.FP32;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

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
