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

  /**
   * One call with more rows than the accumulator's internal block (1024), in double and in float: the rows
   * after the first block count too, each once (the definition over all 2500 rows, 1e-12).
   */
  @Test
  void oneCallLongerThanABlockCountsEveryRowOnce() {
    Random r = new Random(11);
    int n = 2500;
    int d = 3;
    double[] x = new double[n * d];
    float[] f = new float[n * d];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) (r.nextGaussian() + (i / d >= 1024 ? 2 : 0)); // later blocks shifted: a lost block shows
      x[i] = f[i];
    }
    double[][] expected = definition(x, n, d);
    MomentAccumulator fromDouble = new MomentAccumulator(d);
    fromDouble.add(x, n);
    MomentAccumulator fromFloat = new MomentAccumulator(d);
    fromFloat.add(f, n);
    for (MomentAccumulator acc : new MomentAccumulator[] {fromDouble, fromFloat}) {
      FeatureStatistics s = acc.statistics();
      assertThat(s.count()).hasValue(n);
      assertThat(s.mu()).containsExactly(expected[0], within(1e-12));
      assertThat(s.sigma()).containsExactly(expected[1], within(1e-12));
    }
  }

  /** Mean and covariance (ddof 1) by their definitions, two passes in double: an independent reference. */
  static double[][] definition(double[] x, int n, int d) {
    double[] mu = new double[d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        mu[j] += x[i * d + j];
      }
    }
    for (int j = 0; j < d; j++) {
      mu[j] /= n;
    }
    double[] sigma = new double[d * d];
    for (int i = 0; i < n; i++) {
      for (int a = 0; a < d; a++) {
        for (int b = 0; b < d; b++) {
          sigma[a * d + b] += (x[i * d + a] - mu[a]) * (x[i * d + b] - mu[b]);
        }
      }
    }
    for (int k = 0; k < d * d; k++) {
      sigma[k] /= n - 1;
    }
    return new double[][] {mu, sigma};
  }

  @Test
  void mergingStatisticsOfDisjointPartsGivesTheStatisticsOfTheWhole() {
    // Parts of unequal size with different means (the second half is shifted), summarised apart, then
    // pooled in a shuffled order: the definition over all 1000 vectors to 1e-12 (values are O(1..10)).
    int d = 7;
    FeatureMatrix x = FrechetDistanceTest.correlated(11, 1000, d, 0);
    double[] data = x.data();
    for (int i = 500 * d; i < data.length; i++) {
      data[i] += 4;
    }
    int[] bounds = {0, 2, 130, 131, 500, 777, 1000};
    java.util.List<FeatureStatistics> parts = new java.util.ArrayList<>();
    for (int k = 0; k + 1 < bounds.length; k++) {
      int rows = bounds[k + 1] - bounds[k];
      if (rows >= 2) {
        MomentAccumulator part = new MomentAccumulator(d);
        part.add(java.util.Arrays.copyOfRange(data, bounds[k] * d, bounds[k + 1] * d), rows);
        parts.add(part.statistics());
      }
    }
    MomentAccumulator pooled = new MomentAccumulator(d);
    pooled.add(java.util.Arrays.copyOfRange(data, 130 * d, 131 * d), 1); // a part of one vector, added as rows
    java.util.Collections.shuffle(parts, new Random(2));
    parts.forEach(pooled::merge);
    FeatureStatistics merged = pooled.statistics();
    double[][] exact = definition(data, 1000, d);
    assertThat(merged.count()).hasValue(1000);
    assertThat(merged.mu()).containsExactly(exact[0], within(1e-12));
    assertThat(merged.sigma()).containsExactly(exact[1], within(1e-12));
  }

  @Test
  void mergingIntoAnEmptyAccumulatorReturnsThePart() {
    FeatureStatistics part = FrechetDistanceTest.correlated(4, 50, 3, 2).statistics();
    MomentAccumulator acc = new MomentAccumulator(3);
    acc.merge(part);
    assertThat(acc.count()).isEqualTo(50);
    assertThat(acc.statistics().mu()).containsExactly(part.mu());
    assertThat(acc.statistics().sigma()).containsExactly(part.sigma(), within(1e-15));
  }

  @Test
  void mergeRefusesUnknownCountsOtherDimensionsAndNonFiniteValues() {
    MomentAccumulator acc = new MomentAccumulator(2);
    FeatureStatistics noCount = new FeatureStatistics(java.util.OptionalLong.empty(), new double[2], new double[4]);
    assertThatThrownBy(() -> acc.merge(noCount)).hasMessageContaining("without a sample count");
    assertThatThrownBy(() -> acc.merge(FeatureStatistics.of(5, new double[3], new double[9])))
        .hasMessage("cannot merge statistics of dimension 3 into D = 2");
    assertThatThrownBy(() -> acc.merge(FeatureStatistics.of(5, new double[] {0, Double.NaN}, new double[4])))
        .hasMessage("non-finite value NaN in the statistics to merge");
    assertThat(acc.count()).isZero();
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
