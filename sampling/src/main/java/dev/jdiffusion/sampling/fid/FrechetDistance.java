package dev.jdiffusion.sampling.fid;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Frechet distance between two Gaussians fitted to feature vectors, the FID of Heusel et al., "GANs
 * Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium" (NeurIPS 2017):
 *
 * <pre>
 *   d^2 = ||mu_1 - mu_2||^2 + tr(S_1) + tr(S_2) - 2 tr( (S_1 S_2)^(1/2) ).
 * </pre>
 *
 * <p>pytorch-fid ({@code fid_score.calculate_frechet_distance}) evaluates the last trace with
 * {@code scipy.linalg.sqrtm(S_1 S_2)}, a Schur-based square root of a non-symmetric matrix, retries with
 * {@code 1e-6 I} added to both covariances when the result is not finite, and drops an imaginary part
 * below 1e-3. We compute the same quantity from symmetric eigendecompositions only, which cannot produce
 * complex values:
 *
 * <ol>
 *   <li>{@code S_1 = V diag(l) V^T} (EJML's symmetric QR algorithm); eigenvalues below zero, which a positive
 *       semi-definite covariance has only by rounding, are clamped to 0 and reported. Let
 *       {@code L = V diag(sqrt(l))}, so {@code L L^T = S_1} and {@code sqrt(S_1) = L V^T}.</li>
 *   <li>{@code S_1 S_2} is similar to {@code sqrt(S_1) S_2 sqrt(S_1) = V (L^T S_2 L) V^T}, so it has the
 *       eigenvalues {@code m_i >= 0} of the symmetric matrix {@code M = L^T S_2 L}; its principal square root
 *       has eigenvalues {@code sqrt(m_i)}, hence {@code tr((S_1 S_2)^(1/2)) = sum sqrt(m_i)}. {@code M} is
 *       symmetrised ({@code (M + M^T)/2}) before its eigendecomposition and its negative rounding
 *       eigenvalues are clamped and reported too.</li>
 * </ol>
 *
 * Both covariances are symmetrised on entry. Cost: two symmetric eigendecompositions and two matrix
 * products of size D, a few seconds for D = 2048. The result is not clamped at 0: for identical statistics
 * it is 0 up to rounding (about {@code 1e-12 * tr(S)}).
 */
public final class FrechetDistance {
  private FrechetDistance() {}

  /**
   * The distance and its parts.
   *
   * @param fid the squared Frechet distance (what every FID paper reports)
   * @param meanTerm {@code ||mu_1 - mu_2||^2}
   * @param trace1 {@code tr(S_1)}
   * @param trace2 {@code tr(S_2)}
   * @param traceSqrt {@code tr((S_1 S_2)^(1/2))}
   * @param clampedEigenvalues negative eigenvalues set to zero (of {@code S_1}, then of {@code M})
   * @param mostNegativeEigenvalue the most negative of those, 0 when none was clamped
   * @param warnings sentences for the user: singular covariances, clearly negative eigenvalues
   */
  public record Result(double fid, double meanTerm, double trace1, double trace2, double traceSqrt,
      int clampedEigenvalues, double mostNegativeEigenvalue, List<String> warnings) {
    public Result {
      warnings = List.copyOf(warnings);
    }
  }

  /** FID between two sets of statistics of one dimension; see the class comment for the method. */
  public static Result compute(FeatureStatistics first, FeatureStatistics second) {
    return compute(first, second, "first set", "second set");
  }

  /**
   * FID as {@link #compute(FeatureStatistics, FeatureStatistics)}, with the names under which warnings
   * mention the two sets (e.g. the command line's {@code A} and {@code B}).
   */
  public static Result compute(FeatureStatistics first, FeatureStatistics second, String firstName,
      String secondName) {
    int d = first.dimension();
    if (second.dimension() != d) {
      throw new IllegalArgumentException("feature dimensions differ: " + d + " and " + second.dimension()
          + " (statistics from different extractors cannot be compared)");
    }
    List<String> warnings = new ArrayList<>();
    first.singularityWarning().ifPresent(w -> warnings.add(firstName + ": " + w));
    second.singularityWarning().ifPresent(w -> warnings.add(secondName + ": " + w));

    double[] mu1 = first.mu();
    double[] mu2 = second.mu();
    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      double diff = mu1[i] - mu2[i];
      meanTerm += diff * diff;
    }
    DMatrixRMaj s1 = symmetrised(first.sigmaMatrix());
    DMatrixRMaj s2 = symmetrised(second.sigmaMatrix());
    double trace1 = trace(s1);
    double trace2 = trace(s2);

    Clamp clamp = new Clamp();
    EigenDecomposition_F64<DMatrixRMaj> eig1 = decompose(s1, true);
    double scale1 = maxAbsEigenvalue(eig1);
    DMatrixRMaj l = new DMatrixRMaj(d, d);
    for (int k = 0; k < d; k++) {
      double lambda = clamp.apply(eig1.getEigenvalue(k).getReal(), scale1, "covariance of " + firstName, warnings);
      double root = Math.sqrt(lambda);
      DMatrixRMaj v = eig1.getEigenVector(k);
      for (int i = 0; i < d; i++) {
        l.unsafe_set(i, k, v.data[i] * root);
      }
    }
    DMatrixRMaj s2l = CommonOps_MT_DDRM.mult(s2, l, null);
    DMatrixRMaj m = symmetrised(CommonOps_MT_DDRM.multTransA(l, s2l, null));
    EigenDecomposition_F64<DMatrixRMaj> eigM = decompose(m, false);
    double scaleM = maxAbsEigenvalue(eigM);
    double traceSqrt = 0;
    for (int k = 0; k < d; k++) {
      traceSqrt += Math.sqrt(clamp.apply(eigM.getEigenvalue(k).getReal(), scaleM,
          "product sqrt(S1) S2 sqrt(S1) (S1 of " + firstName + ", S2 of " + secondName + ")", warnings));
    }
    double fid = meanTerm + trace1 + trace2 - 2 * traceSqrt;
    return new Result(fid, meanTerm, trace1, trace2, traceSqrt, clamp.count, clamp.mostNegative, warnings);
  }

  /** Counts and bounds clamped eigenvalues; warns once per matrix when one is clearly negative. */
  private static final class Clamp {
    int count;
    double mostNegative;
    private final List<String> warned = new ArrayList<>();

    double apply(double lambda, double scale, String what, List<String> warnings) {
      if (Double.isNaN(lambda)) {
        throw new ArithmeticException("eigendecomposition of the " + what + " produced NaN");
      }
      if (lambda >= 0) {
        return lambda;
      }
      count++;
      mostNegative = Math.min(mostNegative, lambda);
      // A positive semi-definite matrix shows negative eigenvalues of order D * eps * max|lambda| by
      // rounding alone; much larger ones mean the input was not a covariance.
      if (-lambda > 1e-6 * scale && !warned.contains(what)) {
        warned.add(what);
        warnings.add(String.format(Locale.ROOT, "the %s has eigenvalue %.3g (largest %.3g): it is not positive"
            + " semi-definite beyond rounding; negative eigenvalues were clamped to 0", what, lambda, scale));
      }
      return 0;
    }
  }

  private static EigenDecomposition_F64<DMatrixRMaj> decompose(DMatrixRMaj symmetric, boolean vectors) {
    int d = symmetric.numRows;
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, vectors, true);
    if (!eig.decompose(symmetric.copy())) {
      throw new ArithmeticException("the symmetric eigendecomposition of a " + d + "x" + d
          + " matrix did not converge");
    }
    return eig;
  }

  private static double maxAbsEigenvalue(EigenDecomposition_F64<DMatrixRMaj> eig) {
    double max = 0;
    for (int k = 0; k < eig.getNumberOfEigenvalues(); k++) {
      max = Math.max(max, Math.abs(eig.getEigenvalue(k).getReal()));
    }
    return max;
  }

  private static DMatrixRMaj symmetrised(DMatrixRMaj a) {
    int d = a.numRows;
    DMatrixRMaj s = new DMatrixRMaj(d, d);
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        double v = 0.5 * (a.unsafe_get(i, j) + a.unsafe_get(j, i));
        s.unsafe_set(i, j, v);
        s.unsafe_set(j, i, v);
      }
    }
    return s;
  }

  private static double trace(DMatrixRMaj a) {
    double t = 0;
    for (int i = 0; i < a.numRows; i++) {
      t += a.unsafe_get(i, i);
    }
    return t;
  }
}
