package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;

/** Element-wise comparison of float32 engine results with double-precision hand computations. */
public final class Close {
  private Close() {}

  public static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  /** Every {@code |actual - expected| <= abs + rel |expected|}, naming the element that is not. */
  public static void assertClose(double[] actual, double[] expected, double abs, double rel, String what) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      double bound = abs + rel * Math.abs(expected[i]);
      assertThat(Math.abs(actual[i] - expected[i])).as("%s, element %d: %s vs %s", what, i, actual[i],
          expected[i]).isLessThanOrEqualTo(bound);
    }
  }
}
