package dev.jdiffusion.sampling.fid;

import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Feature vectors held in memory, N rows of D values, row-major (what KID needs; FID needs only the
 * {@link #statistics() statistics}). On disk: an {@code .npy} of shape [N, D], float32 or float64.
 *
 * @param rows N
 * @param dimension D
 * @param data N * D values; held, not copied (feature sets are large), so do not modify it afterwards
 */
public record FeatureMatrix(int rows, int dimension, double[] data) {
  public FeatureMatrix {
    if (rows < 0 || dimension < 1 || (long) rows * dimension != data.length) {
      throw new IllegalArgumentException("a feature matrix of " + rows + " x " + dimension + " needs "
          + (long) rows * dimension + " values, got " + data.length);
    }
  }

  /**
   * Reads an [N, D] {@code .npy} (float32 or float64).
   *
   * @throws IOException naming the file when the array is not two-dimensional
   */
  public static FeatureMatrix load(Path file) throws IOException {
    NpyArray a = Npy.read(file);
    if (a.rank() != 2 || a.shape()[1] < 1) {
      throw new IOException(file + ": a feature matrix must have shape (N, D), found " + Arrays.toString(a.shape()));
    }
    return new FeatureMatrix((int) a.shape()[0], (int) a.shape()[1], a.data());
  }

  /** Writes the matrix as a float32 or float64 {@code .npy}. */
  public void save(Path file, String dtype) throws IOException {
    Npy.write(file, new NpyArray(new long[] {rows, dimension}, data, dtype));
  }

  /** Row {@code i}, a copy. */
  public double[] row(int i) {
    return Arrays.copyOfRange(data, i * dimension, (i + 1) * dimension);
  }

  /** Mean and covariance of the rows (see {@link MomentAccumulator}). */
  public FeatureStatistics statistics() {
    MomentAccumulator acc = new MomentAccumulator(dimension);
    acc.add(data, rows);
    return acc.statistics();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureMatrix m && rows == m.rows && dimension == m.dimension && Arrays.equals(data, m.data);
  }

  @Override
  public int hashCode() {
    return (rows * 31 + dimension) * 31 + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "FeatureMatrix[" + rows + " x " + dimension + "]";
  }
}
