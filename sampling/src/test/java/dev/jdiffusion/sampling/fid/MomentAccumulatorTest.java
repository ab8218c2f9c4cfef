package dev.jdiffusion.sampling.fid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdiffusion.sampling.io.Npy;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MomentAccumulatorTest {

  /**
   * Batches of any size (merged by Chan et al.'s update) give numpy's {@code mean} and {@code cov(rowvar=False)}
   * of all the rows, computed by reference.py (Debian's python3-numpy, which CI installs).
   */
  @Test
  void batchesOfAnySizeGiveNumpysStatistics(@TempDir Path dir) throws Exception {
    FeatureMatrix x = FrechetDistanceTest.correlated(5, 1000, 9, 2);
    x.save(dir.resolve("x.npy"), Npy.FLOAT64);
    JsonNode numpy = Reference.run("stats", dir.resolve("x.npy").toString());
    MomentAccumulator acc = new MomentAccumulator(9);
    int[] sizes = {1, 7, 300, 2, 690};
    int start = 0;
    for (int s : sizes) {
      acc.add(java.util.Arrays.copyOfRange(x.data(), start * 9, (start + s) * 9), s);
      start += s;
    }
    FeatureStatistics streamed = acc.statistics();
    assertThat(streamed.count()).hasValue(1000);
    // Different summation orders: equal to 1e-12 absolute (values are O(1)).
    assertThat(streamed.mu()).containsExactly(Reference.doubles(numpy.get("mu")), within(1e-12));
    assertThat(streamed.sigma()).containsExactly(Reference.doubles(numpy.get("sigma")), within(1e-12));
    // and the whole matrix at once, through FeatureMatrix
    assertThat(x.statistics().sigma()).containsExactly(Reference.doubles(numpy.get("sigma")), within(1e-12));
  }

  @Test
  void staysAccurateWithALargeMeanWhereRawMomentsCancel() {
    // Features near 1e8 with unit spread: sum(x^2)/n - mean^2 loses every digit in double; the centred
    // merge keeps about 8. Exact reference in BigDecimal.
    Random r = new Random(3);
    int n = 2000;
    int d = 2;
    double[] x = new double[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = 1e8 + r.nextGaussian();
    }
    MomentAccumulator acc = new MomentAccumulator(d);
    for (int i = 0; i < n; i += 64) {
      int m = Math.min(64, n - i);
      acc.add(java.util.Arrays.copyOfRange(x, i * d, (i + m) * d), m);
    }
    double[] sigma = acc.statistics().sigma();
    MathContext mc = MathContext.DECIMAL128;
    for (int a = 0; a < d; a++) {
      for (int b = 0; b < d; b++) {
        BigDecimal ma = BigDecimal.ZERO;
        BigDecimal mb = BigDecimal.ZERO;
        for (int i = 0; i < n; i++) {
          ma = ma.add(new BigDecimal(x[i * d + a]));
          mb = mb.add(new BigDecimal(x[i * d + b]));
        }
        ma = ma.divide(BigDecimal.valueOf(n), mc);
        mb = mb.divide(BigDecimal.valueOf(n), mc);
        BigDecimal s = BigDecimal.ZERO;
        for (int i = 0; i < n; i++) {
          s = s.add(new BigDecimal(x[i * d + a]).subtract(ma).multiply(new BigDecimal(x[i * d + b]).subtract(mb)));
        }
        double exact = s.divide(BigDecimal.valueOf(n - 1), mc).doubleValue();
        assertThat(sigma[a * d + b]).as("sigma[%d][%d]", a, b).isCloseTo(exact, within(1e-6));
      }
    }
  }

  @Test
  void floatInputIsAccumulatedInDouble() {
    float[] f = {1.5f, -2f, 3.25f, 4f, 0.125f, 8f};
    MomentAccumulator acc = new MomentAccumulator(2);
    acc.add(f, 3);
    FeatureStatistics s = acc.statistics();
    assertThat(s.mu()).containsExactly(1.625, 10.0 / 3);
    // var of {1.5, 3.25, 0.125} with ddof 1.
    assertThat(s.sigma()[0]).isCloseTo(2.453125, within(1e-14));
  }

  @Test
  void refusesTooFewVectorsAndNonFiniteValues() {
    MomentAccumulator acc = new MomentAccumulator(3);
    acc.add(new double[] {1, 2, 3}, 1);
    assertThatThrownBy(acc::statistics).hasMessage("a covariance needs at least 2 feature vectors, got 1");
    assertThatThrownBy(() -> acc.add(new double[] {1, Double.NaN, 3}, 1))
        .hasMessage("non-finite feature value NaN in vector 1, component 1");
    assertThatThrownBy(() -> acc.add(new double[] {1, 2}, 1)).hasMessageContaining("need 3 values, got 2");
  }
}
