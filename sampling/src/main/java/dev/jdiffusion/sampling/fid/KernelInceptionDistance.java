package dev.jdiffusion.sampling.fid;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_MT_DDRM;

/**
 * Kernel Inception Distance (Binkowski, Sutherland, Arbel and Gretton, "Demystifying MMD GANs", ICLR 2018):
 * the unbiased estimate of the squared maximum mean discrepancy between two feature sets under the cubic
 * polynomial kernel {@code k(x, y) = (x . y / D + 1)^3}, averaged over random subsets.
 *
 * <p>Conventions are torch-fidelity's ({@code torch_fidelity/metric_kid.py} and {@code defaults.py}):
 * {@value #DEFAULT_SUBSETS} subsets of {@value #DEFAULT_SUBSET_SIZE} vectors from each set, drawn without
 * replacement by NumPy's {@code RandomState(seed).choice} (first set, then second, per subset; default seed
 * {@value #DEFAULT_SEED}), reimplemented in {@link NumpyRandomState} so that the same seed selects the same
 * subsets; for each subset of size m
 *
 * <pre>
 *   MMD^2_u = (sum_{i != j} k(x_i, x_j) + sum_{i != j} k(y_i, y_j)) / (m (m - 1)) - 2 sum_{i, j} k(x_i, y_j) / m^2,
 * </pre>
 *
 * and the result is the mean and the population standard deviation ({@code numpy.std}, ddof = 0) of the
 * subset values. torch-fidelity refuses a subset size larger than either set; so do we. Kernels are computed
 * in double precision (torch-fidelity uses the features' float32). The unbiased estimate can be slightly
 * negative when the sets come from one distribution.
 */
public final class KernelInceptionDistance {
  public static final int DEFAULT_SUBSETS = 100;
  public static final int DEFAULT_SUBSET_SIZE = 1000;
  public static final long DEFAULT_SEED = 2020;

  private KernelInceptionDistance() {}

  /**
   * How KID is sampled.
   *
   * @param subsets number of subset pairs averaged
   * @param subsetSize vectors per subset, from each set
   * @param seed NumPy {@code RandomState} seed, 0 .. 2^32 - 1
   */
  public record Config(int subsets, int subsetSize, long seed) {
    public Config {
      if (subsets < 1) {
        throw new IllegalArgumentException("KID subsets must be >= 1, got " + subsets);
      }
      if (subsetSize < 2) {
        throw new IllegalArgumentException("KID subset size must be >= 2, got " + subsetSize);
      }
      if (seed < 0 || seed > 0xffffffffL) {
        throw new IllegalArgumentException("KID seed must be in 0 .. 2^32 - 1, got " + seed);
      }
    }

    /** torch-fidelity's defaults: 100 subsets of 1000, seed 2020. */
    public static Config defaults() {
      return new Config(DEFAULT_SUBSETS, DEFAULT_SUBSET_SIZE, DEFAULT_SEED);
    }
  }

  /**
   * @param mean mean of the subset MMD^2 values (the KID)
   * @param std their population standard deviation
   * @param values the per-subset values, in draw order
   */
  public record Result(double mean, double std, Config config, double[] values) {
    public Result {
      values = values.clone();
    }

    @Override
    public double[] values() {
      return values.clone();
    }
  }

  /**
   * KID between two feature sets of one dimension.
   *
   * @throws IllegalArgumentException when the dimensions differ or a set is smaller than the subset size
   */
  public static Result compute(FeatureMatrix first, FeatureMatrix second, Config config) {
    int d = first.dimension();
    if (second.dimension() != d) {
      throw new IllegalArgumentException("feature dimensions differ: " + d + " and " + second.dimension());
    }
    int m = config.subsetSize();
    if (first.rows() < m || second.rows() < m) {
      throw new IllegalArgumentException("KID subset size " + m + " is larger than a feature set (first: "
          + first.rows() + ", second: " + second.rows() + " vectors); choose a smaller subset size");
    }
    NumpyRandomState rng = new NumpyRandomState(config.seed());
    double[] values = new double[config.subsets()];
    for (int s = 0; s < values.length; s++) {
      DMatrixRMaj x = subset(first, rng.choiceWithoutReplacement(first.rows(), m));
      DMatrixRMaj y = subset(second, rng.choiceWithoutReplacement(second.rows(), m));
      values[s] = unbiasedMmd2(x, y);
    }
    double mean = 0;
    for (double v : values) {
      mean += v;
    }
    mean /= values.length;
    double var = 0;
    for (double v : values) {
      var += (v - mean) * (v - mean);
    }
    return new Result(mean, Math.sqrt(var / values.length), config, values);
  }

  /** The unbiased MMD^2 between the rows of {@code x} and of {@code y} (both m x D) under the cubic kernel. */
  static double unbiasedMmd2(DMatrixRMaj x, DMatrixRMaj y) {
    int m = x.numRows;
    int d = x.numCols;
    double xx = offDiagonalKernelSum(CommonOps_MT_DDRM.multTransB(x, x, null), d);
    double yy = offDiagonalKernelSum(CommonOps_MT_DDRM.multTransB(y, y, null), d);
    double[] g = CommonOps_MT_DDRM.multTransB(x, y, null).data;
    double xy = 0;
    for (double v : g) {
      xy += kernel(v, d);
    }
    return (xx + yy) / ((double) m * (m - 1)) - 2 * xy / ((double) m * m);
  }

  private static double offDiagonalKernelSum(DMatrixRMaj gram, int d) {
    int m = gram.numRows;
    double sum = 0;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        if (i != j) {
          sum += kernel(gram.data[i * m + j], d);
        }
      }
    }
    return sum;
  }

  /** {@code (dot / D + 1)^3}: torch-fidelity's {@code kid_degree = 3}, {@code gamma = 1/D}, {@code coef0 = 1}. */
  static double kernel(double dot, int d) {
    double b = dot / d + 1;
    return b * b * b;
  }

  private static DMatrixRMaj subset(FeatureMatrix f, int[] rows) {
    int d = f.dimension();
    DMatrixRMaj s = new DMatrixRMaj(rows.length, d);
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(f.data(), rows[i] * d, s.data, i * d, d);
    }
    return s;
  }
}
