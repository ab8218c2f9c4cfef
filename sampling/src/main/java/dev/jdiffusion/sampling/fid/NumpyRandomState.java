package dev.jdiffusion.sampling.fid;

/**
 * The draws of NumPy's legacy {@code numpy.random.RandomState(seed)} that torch-fidelity's KID uses:
 * {@code choice(n, size, replace=False)}, which NumPy implements as {@code permutation(n)[:size]}. Written
 * from the algorithms' definitions so that the same seed selects the same KID subsets as torch-fidelity:
 *
 * <ul>
 *   <li>the Mersenne Twister MT19937 (Matsumoto and Nishimura, ACM TOMACS 1998), seeded from a 32-bit
 *       integer by its reference {@code init_genrand}, 32-bit outputs with the reference tempering;</li>
 *   <li>{@code permutation(n)}: {@code arange(n)} shuffled by Fisher-Yates from the last index down, the
 *       index for position {@code i} drawn uniformly from {@code [0, i]} by masking 32-bit outputs to the
 *       smallest covering power of two and rejecting values above {@code i}.</li>
 * </ul>
 *
 * The tests compare its permutations with NumPy's. Not thread-safe.
 */
final class NumpyRandomState {
  private static final int N = 624;
  private static final int M = 397;
  private final int[] mt = new int[N];
  private int index;

  /** @param seed 0 .. 2^32 - 1, as {@code RandomState} accepts */
  NumpyRandomState(long seed) {
    if (seed < 0 || seed > 0xffffffffL) {
      throw new IllegalArgumentException("seed must be in 0 .. 2^32 - 1 (NumPy's RandomState range), got " + seed);
    }
    mt[0] = (int) seed;
    for (int i = 1; i < N; i++) {
      mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    }
    index = N;
  }

  /** The next 32-bit output, as an unsigned value in a long. */
  long nextUint32() {
    if (index >= N) {
      twist();
    }
    int y = mt[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return Integer.toUnsignedLong(y);
  }

  private void twist() {
    for (int i = 0; i < N; i++) {
      int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
    }
    index = 0;
  }

  /** Uniform in {@code [0, max]} by masked rejection (NumPy's legacy {@code random_interval}). */
  long interval(long max) {
    if (max == 0) {
      return 0;
    }
    if (max > 0xffffffffL) {
      throw new IllegalArgumentException("interval bound above 2^32 - 1 is not needed here: " + max);
    }
    long mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    long value;
    do {
      value = nextUint32() & mask;
    } while (value > max);
    return value;
  }

  /** {@code RandomState.permutation(n)}. */
  int[] permutation(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i >= 1; i--) {
      int j = (int) interval(i);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** {@code RandomState.choice(n, size, replace=False)}: the first {@code size} entries of a permutation. */
  int[] choiceWithoutReplacement(int n, int size) {
    if (size > n) {
      throw new IllegalArgumentException("cannot take " + size + " of " + n + " without replacement");
    }
    return java.util.Arrays.copyOf(permutation(n), size);
  }
}
