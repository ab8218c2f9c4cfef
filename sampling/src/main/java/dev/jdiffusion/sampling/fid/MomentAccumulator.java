package dev.jdiffusion.sampling.fid;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_MT_DDRM;

/**
 * Mean and covariance of feature vectors that arrive in batches, in double precision whatever the input's
 * precision.
 *
 * <p>Method: each batch is reduced exactly to its own mean and centred scatter matrix
 * {@code M2_b = sum (x - mean_b)(x - mean_b)^T} (two passes over the batch: mean, then the product of the
 * centred batch with itself), and merged into the running totals with the pairwise update of Chan, Golub and
 * LeVeque ("Updating formulae and a pairwise algorithm for computing sample variances", 1979; "Algorithms for
 * computing the sample variance", The American Statistician, 1983):
 *
 * <pre>
 *   n = n_a + n_b,  delta = mean_b - mean_a,
 *   mean = mean_a + delta * n_b / n,
 *   M2 = M2_a + M2_b + delta delta^T * n_a n_b / n.
 * </pre>
 *
 * This never forms the raw second moment {@code sum x x^T}, whose subtraction of {@code n mean mean^T}
 * cancels catastrophically when the features have a large mean relative to their spread; with a batch of one
 * vector it is Welford's update. The covariance is {@code M2 / (n - 1)}, the unbiased estimate that
 * {@code numpy.cov(x, rowvar=False)} and therefore pytorch-fid compute.
 *
 * <p>Not thread-safe.
 */
public final class MomentAccumulator {
  /** Rows per internal block: bounds the temporary centred matrix to {@code BLOCK * D} doubles. */
  private static final int BLOCK = 1024;

  private final int dimension;
  private final double[] mean;
  private final DMatrixRMaj m2;
  private long count;

  /** @param dimension the feature dimension D */
  public MomentAccumulator(int dimension) {
    if (dimension < 1) {
      throw new IllegalArgumentException("feature dimension must be at least 1, got " + dimension);
    }
    this.dimension = dimension;
    this.mean = new double[dimension];
    this.m2 = new DMatrixRMaj(dimension, dimension);
  }

  public int dimension() {
    return dimension;
  }

  /** Vectors seen so far. */
  public long count() {
    return count;
  }

  /** Adds {@code rows} vectors given row-major in {@code values} (at least {@code rows * D} values). */
  public void add(double[] values, int rows) {
    check(values.length, rows);
    for (int start = 0; start < rows; start += BLOCK) {
      int m = Math.min(BLOCK, rows - start);
      DMatrixRMaj block = new DMatrixRMaj(m, dimension);
      System.arraycopy(values, start * dimension, block.data, 0, m * dimension);
      addBlock(block);
    }
  }

  /** Adds {@code rows} float32 vectors given row-major in {@code values}; the sums are in double. */
  public void add(float[] values, int rows) {
    check(values.length, rows);
    for (int start = 0; start < rows; start += BLOCK) {
      int m = Math.min(BLOCK, rows - start);
      DMatrixRMaj block = new DMatrixRMaj(m, dimension);
      for (int i = 0, off = start * dimension; i < m * dimension; i++) {
        block.data[i] = values[off + i];
      }
      addBlock(block);
    }
  }

  private void check(int length, int rows) {
    if (rows < 0 || (long) rows * dimension > length) {
      throw new IllegalArgumentException(rows + " rows of D = " + dimension + " need " + (long) rows * dimension
          + " values, got " + length);
    }
  }

  private void addBlock(DMatrixRMaj block) {
    int m = block.numRows;
    double[] x = block.data;
    double[] batchMean = new double[dimension];
    for (int i = 0; i < m; i++) {
      for (int j = 0, off = i * dimension; j < dimension; j++) {
        double v = x[off + j];
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("non-finite feature value " + v + " in vector " + (count + i)
              + ", component " + j);
        }
        batchMean[j] += v;
      }
    }
    for (int j = 0; j < dimension; j++) {
      batchMean[j] /= m;
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0, off = i * dimension; j < dimension; j++) {
        x[off + j] -= batchMean[j];
      }
    }
    long n = count + m;
    double[] delta = new double[dimension];
    for (int j = 0; j < dimension; j++) {
      delta[j] = batchMean[j] - mean[j];
    }
    double factor = (double) count * m / n;
    CommonOps_MT_DDRM.multAddTransA(block, block, m2);
    if (count > 0) {
      double[] s = m2.data;
      for (int a = 0; a < dimension; a++) {
        double da = delta[a] * factor;
        for (int b = 0, off = a * dimension; b < dimension; b++) {
          s[off + b] += da * delta[b];
        }
      }
    }
    for (int j = 0; j < dimension; j++) {
      mean[j] += delta[j] * m / n;
    }
    count = n;
  }

  /**
   * Adds the vectors that {@code part} summarises, as if they had been added one by one: the pairwise update
   * above with {@code M2_b = sigma_b (n_b - 1)}. This is how statistics computed apart (by other threads,
   * processes or machines, each over its own vectors) are pooled exactly; the result does not depend on the
   * order of the merges beyond rounding.
   *
   * @param part statistics with a known count and this dimension
   * @throws IllegalArgumentException when the count is unknown, the dimensions differ, or a value is not finite
   */
  public void merge(FeatureStatistics part) {
    if (part.count().isEmpty()) {
      throw new IllegalArgumentException("statistics without a sample count cannot be merged: N is needed to"
          + " weight them");
    }
    if (part.dimension() != dimension) {
      throw new IllegalArgumentException("cannot merge statistics of dimension " + part.dimension()
          + " into D = " + dimension);
    }
    long m = part.count().getAsLong();
    double[] partMean = part.mu();
    double[] partSigma = part.sigma();
    for (double[] values : new double[][] {partMean, partSigma}) {
      for (double v : values) {
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("non-finite value " + v + " in the statistics to merge");
        }
      }
    }
    long n = count + m;
    double factor = (double) count * m / n;
    double[] s = m2.data;
    for (int a = 0; a < dimension; a++) {
      double da = (partMean[a] - mean[a]) * factor;
      for (int b = 0, off = a * dimension; b < dimension; b++) {
        s[off + b] += partSigma[off + b] * (m - 1) + (count > 0 ? da * (partMean[b] - mean[b]) : 0);
      }
    }
    for (int j = 0; j < dimension; j++) {
      mean[j] = count == 0 ? partMean[j] : mean[j] + (partMean[j] - mean[j]) * m / n;
    }
    count = n;
  }

  /**
   * The statistics so far: mean and {@code M2 / (N - 1)}, symmetrised exactly.
   *
   * @throws IllegalStateException with fewer than 2 vectors (no covariance)
   */
  public FeatureStatistics statistics() {
    if (count < 2) {
      throw new IllegalStateException("a covariance needs at least 2 feature vectors, got " + count);
    }
    double[] sigma = new double[dimension * dimension];
    double[] s = m2.data;
    for (int a = 0; a < dimension; a++) {
      for (int b = a; b < dimension; b++) {
        double v = 0.5 * (s[a * dimension + b] + s[b * dimension + a]) / (count - 1);
        sigma[a * dimension + b] = v;
        sigma[b * dimension + a] = v;
      }
    }
    return FeatureStatistics.of(count, mean, sigma);
  }
}
