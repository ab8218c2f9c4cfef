package dev.jdiffusion.sampling.fid;

import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.ejml.data.DMatrixRMaj;

/**
 * The Gaussian summary of a set of feature vectors that FID compares: the mean {@code mu} (length D), the
 * covariance {@code sigma} (D x D, row-major, normalised by N - 1 as {@code numpy.cov} and pytorch-fid do),
 * and the number of vectors N when known.
 *
 * <p>On disk: an {@code .npz} with the float64 arrays {@code mu} [D] and {@code sigma} [D, D], the layout
 * pytorch-fid writes with {@code --save-stats} and reads back ({@code f['mu'][:], f['sigma'][:]}). We add a
 * 0-d float64 array {@code n} when N is known; pytorch-fid ignores it, and files without it load with N unknown.
 *
 * @param count N, or empty when the statistics came from a file that does not record it
 * @param mu the mean, length D
 * @param sigma the covariance, D * D values, row-major
 */
public record FeatureStatistics(OptionalLong count, double[] mu, double[] sigma) {
  public FeatureStatistics {
    int d = mu.length;
    if (d == 0) {
      throw new IllegalArgumentException("feature dimension must be at least 1");
    }
    if (sigma.length != (long) d * d) {
      throw new IllegalArgumentException("sigma must hold D * D = " + (long) d * d + " values for mu of length "
          + d + ", got " + sigma.length);
    }
    if (count.isPresent() && count.getAsLong() < 2) {
      throw new IllegalArgumentException("a covariance needs at least 2 samples, got N = " + count.getAsLong());
    }
    mu = mu.clone();
    sigma = sigma.clone();
  }

  /** Statistics with a known sample count. */
  public static FeatureStatistics of(long n, double[] mu, double[] sigma) {
    return new FeatureStatistics(OptionalLong.of(n), mu, sigma);
  }

  @Override
  public double[] mu() {
    return mu.clone();
  }

  @Override
  public double[] sigma() {
    return sigma.clone();
  }

  /** The feature dimension D. */
  public int dimension() {
    return mu.length;
  }

  /** A copy of the covariance as an EJML matrix. */
  public DMatrixRMaj sigmaMatrix() {
    return new DMatrixRMaj(mu.length, mu.length, true, sigma);
  }

  /**
   * A warning when N is at most D: the sample covariance then has rank at most N - 1 < D, so it is singular,
   * and the FID computed from it is strongly biased (pytorch-fid's README asks for at least 2048 samples for
   * its 2048-dimensional features for this reason). Empty when N > D or N is unknown.
   */
  public Optional<String> singularityWarning() {
    if (count.isPresent() && count.getAsLong() <= mu.length) {
      return Optional.of("N = " + count.getAsLong() + " samples <= D = " + mu.length + " feature dimensions:"
          + " the covariance has rank at most N - 1 and is singular, so the FID is biased and not comparable;"
          + " use more than " + mu.length + " samples");
    }
    return Optional.empty();
  }

  /** Writes {@code mu}, {@code sigma} (float64) and, when known, {@code n} as an {@code .npz}, atomically. */
  public void save(Path file) throws IOException {
    int d = mu.length;
    Map<String, NpyArray> arrays = new LinkedHashMap<>();
    arrays.put("mu", NpyArray.float64(mu, d));
    arrays.put("sigma", NpyArray.float64(sigma, d, d));
    count.ifPresent(n -> arrays.put("n", NpyArray.float64(new double[] {n})));
    Npy.writeNpz(file, arrays);
  }

  /**
   * Reads an {@code .npz} with {@code mu} [D] and {@code sigma} [D, D] (float32 or float64; other entries but
   * {@code n} are ignored, as pytorch-fid ignores them).
   *
   * @throws IOException naming the file and the array when one is missing, misshapen or not finite
   */
  public static FeatureStatistics load(Path file) throws IOException {
    Map<String, NpyArray> arrays = Npy.readNpz(file);
    NpyArray mu = arrays.get("mu");
    NpyArray sigma = arrays.get("sigma");
    if (mu == null || sigma == null) {
      throw new IOException(file + ": FID statistics need arrays 'mu' and 'sigma' (pytorch-fid's layout), found "
          + arrays.keySet());
    }
    if (mu.rank() != 1) {
      throw new IOException(file + ": 'mu' must have shape (D,), found " + Arrays.toString(mu.shape()));
    }
    long d = mu.shape()[0];
    if (sigma.rank() != 2 || sigma.shape()[0] != d || sigma.shape()[1] != d) {
      throw new IOException(file + ": 'sigma' must have shape (" + d + ", " + d + ") to match 'mu', found "
          + Arrays.toString(sigma.shape()));
    }
    requireFinite(file, "mu", mu.data());
    requireFinite(file, "sigma", sigma.data());
    OptionalLong n = OptionalLong.empty();
    NpyArray count = arrays.get("n");
    if (count != null) {
      double v = count.data().length == 1 ? count.data()[0] : Double.NaN;
      if (!(v >= 2) || v != Math.rint(v)) {
        throw new IOException(file + ": 'n' must be one whole number >= 2, found " + Arrays.toString(count.data()));
      }
      n = OptionalLong.of((long) v);
    }
    return new FeatureStatistics(n, mu.data(), sigma.data());
  }

  private static void requireFinite(Path file, String name, double[] values) throws IOException {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new IOException(file + ": '" + name + "' holds a non-finite value (" + values[i] + " at flat index "
            + i + ")");
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureStatistics s && count.equals(s.count) && Arrays.equals(mu, s.mu)
        && Arrays.equals(sigma, s.sigma);
  }

  @Override
  public int hashCode() {
    return (count.hashCode() * 31 + Arrays.hashCode(mu)) * 31 + Arrays.hashCode(sigma);
  }

  @Override
  public String toString() {
    return "FeatureStatistics[D=" + mu.length + ", N=" + (count.isPresent() ? count.getAsLong() : "unknown") + "]";
  }
}
