package dev.jdiffusion.sampling.fid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdiffusion.sampling.io.Npy;
import java.nio.file.Path;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FID against closed forms, against pytorch-fid's formula in numpy/scipy, and its own properties. Tolerances
 * are stated at each check; the eigen route is exact up to double rounding, scipy's sqrtm to about 1e-10.
 */
class FrechetDistanceTest {

  /** N samples of D correlated Gaussian features: x = mean + A z, with a random mixing matrix A. */
  static FeatureMatrix correlated(long seed, int n, int d, double shift) {
    Random r = new Random(seed);
    double[][] a = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        a[i][j] = r.nextGaussian() / Math.sqrt(d);
      }
    }
    double[] x = new double[n * d];
    double[] z = new double[d];
    for (int k = 0; k < n; k++) {
      for (int j = 0; j < d; j++) {
        z[j] = r.nextGaussian();
      }
      for (int i = 0; i < d; i++) {
        double v = shift + i * 0.1;
        for (int j = 0; j < d; j++) {
          v += a[i][j] * z[j];
        }
        x[k * d + i] = v;
      }
    }
    return new FeatureMatrix(n, d, x);
  }

  static FeatureStatistics diagonal(double[] mu, double[] variances) {
    int d = mu.length;
    double[] s = new double[d * d];
    for (int i = 0; i < d; i++) {
      s[i * d + i] = variances[i];
    }
    return FeatureStatistics.of(10_000, mu, s);
  }

  @Test
  void aSetAgainstItselfIsZero() {
    FeatureStatistics s = correlated(1, 400, 24, 3).statistics();
    FrechetDistance.Result r = FrechetDistance.compute(s, s);
    // Exact answer 0; rounding bound ~1e-12 of the trace.
    assertThat(r.fid()).isCloseTo(0, within(1e-10 * r.trace1()));
    assertThat(r.traceSqrt()).isCloseTo(r.trace1(), within(1e-10 * r.trace1()));
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  void diagonalGaussiansMatchTheClosedForm() {
    double[] mu1 = {0, 1, -2, 0.5};
    double[] mu2 = {1, 1, 0, -0.5};
    double[] a = {1, 4, 0.25, 9};
    double[] b = {2, 1, 0.25, 0.01};
    double expected = 0;
    for (int i = 0; i < 4; i++) {
      expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + Math.pow(Math.sqrt(a[i]) - Math.sqrt(b[i]), 2);
    }
    FrechetDistance.Result r = FrechetDistance.compute(diagonal(mu1, a), diagonal(mu2, b));
    // sum (sqrt a - sqrt b)^2 + |dmu|^2 = 6 + 4.457...; relative 1e-12.
    assertThat(r.fid()).isCloseTo(expected, within(1e-12 * expected));
    assertThat(r.meanTerm()).isCloseTo(6, within(1e-15));
  }

  @Test
  void commutingCovariancesMatchTheClosedFormInARotatedBasis() {
    // S1 = Q diag(a) Q^T and S2 = Q diag(b) Q^T commute, so tr sqrt(S1 S2) = sum sqrt(a b).
    int d = 6;
    Random r = new Random(7);
    double[][] q = orthogonal(r, d);
    double[] a = {3, 1, 0.5, 2, 0.1, 5};
    double[] b = {1, 1, 2, 0.3, 0.1, 4};
    double expected = 0;
    for (int i = 0; i < d; i++) {
      expected += Math.pow(Math.sqrt(a[i]) - Math.sqrt(b[i]), 2);
    }
    double[] zero = new double[d];
    FrechetDistance.Result res = FrechetDistance.compute(FeatureStatistics.of(100, zero, rotate(q, a)),
        FeatureStatistics.of(100, zero, rotate(q, b)));
    assertThat(res.fid()).isCloseTo(expected, within(1e-11));
  }

  @Test
  void oneDimensionalNonCommutingCheckIsTheScalarFormula() {
    FrechetDistance.Result r = FrechetDistance.compute(FeatureStatistics.of(5, new double[] {2}, new double[] {9}),
        FeatureStatistics.of(5, new double[] {-1}, new double[] {4}));
    assertThat(r.fid()).isCloseTo(9 + 1, within(1e-13));
  }

  @Property(tries = 30)
  void isSymmetric(@ForAll @IntRange(min = 1, max = 12) int d, @ForAll long seed) {
    FeatureStatistics s1 = correlated(seed, 3 * d + 5, d, 0).statistics();
    FeatureStatistics s2 = correlated(seed + 1, 3 * d + 5, d, 0.5).statistics();
    double ab = FrechetDistance.compute(s1, s2).fid();
    double ba = FrechetDistance.compute(s2, s1).fid();
    // The two orders take different eigendecompositions; agreement to 1e-9 of the traces.
    double scale = s1.mu().length + FrechetDistance.compute(s1, s2).trace1() + FrechetDistance.compute(s1, s2).trace2();
    assertThat(ab).isCloseTo(ba, within(1e-9 * scale));
    assertThat(ab).isGreaterThan(-1e-9 * scale);
  }

  @Test
  void agreesWithPytorchFidsFormulaInScipy(@TempDir Path dir) throws Exception {
    FeatureMatrix a = correlated(11, 300, 20, 0);
    FeatureMatrix b = correlated(12, 250, 20, 0.3);
    a.save(dir.resolve("a.npy"), Npy.FLOAT64);
    b.save(dir.resolve("b.npy"), Npy.FLOAT32);
    FeatureMatrix b32 = FeatureMatrix.load(dir.resolve("b.npy"));
    JsonNode ref = Reference.run("fid", dir.resolve("a.npy").toString(), dir.resolve("b.npy").toString(),
        dir.resolve("a_stats.npz").toString());

    FeatureStatistics sa = a.statistics();
    // Our streaming moments equal numpy.mean / numpy.cov(rowvar=False) to 1e-12.
    assertThat(sa.mu()).containsExactly(Reference.doubles(ref.get("mu_a")), within(1e-12));
    assertThat(sa.sigma()).containsExactly(Reference.doubles(ref.get("sigma_a")), within(1e-12));
    double fid = FrechetDistance.compute(sa, b32.statistics()).fid();
    // scipy's Schur sqrtm and our eigen route agree to ~1e-10 relative; we require 1e-8.
    assertThat(fid).isCloseTo(ref.get("fid").asDouble(), within(1e-8 * ref.get("fid").asDouble()));

    // The statistics numpy saved (np.savez, stored entries) load in Java and give the same FID.
    FeatureStatistics fromNumpy = FeatureStatistics.load(dir.resolve("a_stats.npz"));
    assertThat(fromNumpy.count()).isEmpty();
    assertThat(FrechetDistance.compute(fromNumpy, b32.statistics()).fid()).isCloseTo(fid, within(1e-9 * fid));

    // And what Java saves, pytorch-fid's loader (f['mu'][:], f['sigma'][:]) reads back.
    sa.save(dir.resolve("a_java.npz"));
    b32.statistics().save(dir.resolve("b_java.npz"));
    JsonNode fromJava = Reference.run("fidstats", dir.resolve("a_java.npz").toString(),
        dir.resolve("b_java.npz").toString());
    assertThat(fromJava.get("fid").asDouble()).isCloseTo(fid, within(1e-8 * fid));
  }

  @Test
  void warnsWhenTheCovarianceIsSingular() {
    FeatureStatistics few = correlated(3, 10, 16, 0).statistics();
    FeatureStatistics many = correlated(4, 200, 16, 0).statistics();
    assertThat(few.singularityWarning()).hasValueSatisfying(w -> assertThat(w)
        .startsWith("N = 10 samples <= D = 16 feature dimensions").contains("singular"));
    assertThat(many.singularityWarning()).isEmpty();
    FrechetDistance.Result r = FrechetDistance.compute(few, many);
    assertThat(r.warnings()).singleElement().asString().startsWith("first set: N = 10 samples <= D = 16");
    assertThat(r.fid()).isFinite();
  }

  @Test
  void clampsAndReportsNegativeEigenvalues() {
    // Not a covariance: eigenvalues 3 and -1.
    FeatureStatistics bad = FeatureStatistics.of(100, new double[2], new double[] {1, 2, 2, 1});
    FeatureStatistics ok = FeatureStatistics.of(100, new double[2], new double[] {1, 0, 0, 1});
    FrechetDistance.Result r = FrechetDistance.compute(bad, ok);
    assertThat(r.clampedEigenvalues()).isGreaterThanOrEqualTo(1);
    assertThat(r.mostNegativeEigenvalue()).isCloseTo(-1, within(1e-12));
    assertThat(r.warnings()).anySatisfy(w -> assertThat(w).contains("covariance of first set has eigenvalue -1.00"));
  }

  @Test
  void refusesDifferentDimensions() {
    assertThatThrownBy(() -> FrechetDistance.compute(diagonal(new double[2], new double[] {1, 1}),
        diagonal(new double[3], new double[] {1, 1, 1})))
        .hasMessageStartingWith("feature dimensions differ: 2 and 3");
  }

  static double[][] orthogonal(Random r, int d) {
    double[][] q = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        q[i][j] = r.nextGaussian();
      }
      for (int k = 0; k < i; k++) {
        double dot = 0;
        for (int j = 0; j < d; j++) {
          dot += q[i][j] * q[k][j];
        }
        for (int j = 0; j < d; j++) {
          q[i][j] -= dot * q[k][j];
        }
      }
      double norm = 0;
      for (int j = 0; j < d; j++) {
        norm += q[i][j] * q[i][j];
      }
      for (int j = 0; j < d; j++) {
        q[i][j] /= Math.sqrt(norm);
      }
    }
    return q;
  }

  static double[] rotate(double[][] q, double[] eigenvalues) {
    int d = eigenvalues.length;
    double[] s = new double[d * d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double v = 0;
        for (int k = 0; k < d; k++) {
          v += q[k][i] * eigenvalues[k] * q[k][j];
        }
        s[i * d + j] = v;
      }
    }
    return s;
  }
}
