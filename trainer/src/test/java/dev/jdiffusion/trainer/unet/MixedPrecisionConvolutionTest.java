package dev.jdiffusion.trainer.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import dev.jdiffusion.trainer.Engines;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The bfloat16 convolution of mixed-precision training ({@link FusedOps#conv2d(NDArray, NDArray, NDArray, int,
 * int, Autocast.ComputeType)}) against {@link ConvolutionTest}'s direct double-precision sums, for the same
 * shapes (channel counts 1, 3, 8, 24, 48 and output widths that are not multiples of 16, which libtorch's
 * NCHW convolution got wrong here; one pixel, one row, one column).
 *
 * <p>Tolerance, derived from bfloat16's unit roundoff {@code u = 2^-9}: every input of a sum is rounded once
 * (relative error at most {@code u} each, so a product is off by at most about {@code 2u} of its absolute
 * value), the sum is accumulated in float32, and the result is rounded once more to bfloat16. So per element
 * {@code |a - b| <= 2u * sum|terms| + u |b|}; the test allows twice that plus {@code 1e-4} (float32
 * accumulation). Since that worst case is loose for long sums, the test also bounds the relative
 * root-mean-square error of each array at {@code 8u} (about 1.6e-2; random rounding errors give about
 * {@code u}): a kernel that skips or garbles part of an array, as the defective one did, fails it.
 * Outputs and gradients must be float32 (the parameters are float32 master weights). Convolutions to a
 * channel count that is not a multiple of 8, and the thnn route (one input channel or one pixel), run in
 * float32 ({@link FusedOps#conv2d(NDArray, NDArray, NDArray, int, int, Autocast.ComputeType)}); the test checks
 * that those agree to float32 precision and that the others show bfloat16 rounding, so it knows which
 * route ran.
 */
class MixedPrecisionConvolutionTest {
  private static final double U = Math.scalb(1.0, -9);

  @TestFactory
  Stream<DynamicTest> bf16ValuesAndGradientsMatchTheDirectSumWithinBf16Rounding() {
    Engines.pytorch();
    List<ConvolutionTest.Case> cases = ConvolutionTest.grid(500);
    // an RGB image into the first layer (low precision), and a channel count that is not a multiple of 16
    long seed = 600;
    for (int[] widths : new int[][] {{3, 16}, {3, 8}, {16, 24}, {40, 8}}) {
      cases.add(new ConvolutionTest.Case(2, widths[0], widths[1], 9, 10, 3, 1, 1, seed++));
    }
    cases.addAll(ConvolutionTest.images(24, 8, new int[][] {{1, 1}, {1, 6}, {6, 1}, {5, 18}}, 700));
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
  }

  private static void check(ConvolutionTest.Case c) {
    ConvolutionTest.Run r = ConvolutionTest.run(c, Autocast.ComputeType.BF16);
    ConvolutionTest.Sums s = c.directSums();
    assertWithinBf16(r.y(), s.y(), s.yAbs(), c + ": y");
    boolean lowPrecision = c.out % 8 == 0 && c.in > 1 && c.height * c.width > 1;
    // the bf16 route really rounds (about u relative); the float32 routes agree to float32 precision
    assertThat(relativeRms(r.y(), s.y())).as(c + ": y's relative RMS error (bf16 route: " + lowPrecision + ")")
        .is(new org.assertj.core.api.Condition<>(e -> lowPrecision ? e > U / 16 : e < 1e-5,
            lowPrecision ? "above u/16" : "below 1e-5"));
    assertWithinBf16(r.dx(), s.dx(), s.dxAbs(), c + ": dx");
    assertWithinBf16(r.dw(), s.dw(), s.dwAbs(), c + ": dw");
    assertWithinBf16(r.db(), s.db(), s.dbAbs(), c + ": dbias");
  }

  static double relativeRms(double[] actual, double[] exact) {
    double err2 = 0;
    double ref2 = 0;
    for (int i = 0; i < actual.length; i++) {
      err2 += (actual[i] - exact[i]) * (actual[i] - exact[i]);
      ref2 += exact[i] * exact[i];
    }
    return Math.sqrt(err2 / ref2);
  }

  /** The class comment's two bounds: per element from the absolute terms, and relative RMS error. */
  static void assertWithinBf16(double[] actual, double[] exact, double[] absTerms, String what) {
    assertThat(actual).as(what).hasSameSizeAs(exact);
    for (int i = 0; i < actual.length; i++) {
      double bound = 2 * (2 * U * absTerms[i] + U * Math.abs(exact[i])) + 1e-4;
      assertThat(Math.abs(actual[i] - exact[i])).as("%s, element %d: %s vs exact %s", what, i, actual[i],
          exact[i]).isLessThanOrEqualTo(bound);
    }
    assertThat(relativeRms(actual, exact)).as("%s: relative RMS error", what).isLessThanOrEqualTo(8 * U);
  }
}
