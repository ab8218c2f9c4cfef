package dev.jdiffusion.core.data;

/**
 * The SplitMix64 generator (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
 * OOPSLA 2014), written out here so that shuffles and other seeded draws depend on the seed alone,
 * never on the JDK version. Not thread-safe; create one per use.
 */
public final class SplitMix64 {
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
  private long state;

  public SplitMix64(long seed) {
    this.state = seed;
  }

  /** A seed for stream {@code stream} derived from {@code seed}: distinct streams are uncorrelated. */
  public static long derive(long seed, long stream) {
    return mix(mix(seed) ^ mix(stream + GOLDEN_GAMMA));
  }

  public long nextLong() {
    state += GOLDEN_GAMMA;
    return mix(state);
  }

  /** Uniform in {@code [0, bound)}: 31 random bits, rejecting the incomplete last range (no modulo bias). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    while (true) {
      int bits = (int) (nextLong() >>> 33);
      int value = bits % bound;
      if (bits - value + (bound - 1) >= 0) {
        return value;
      }
    }
  }

  public boolean nextBoolean() {
    return nextLong() < 0;
  }

  /** Uniform in {@code [0, 1)}, from the top 53 bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** A uniformly random permutation of {@code 0 .. n-1} (Fisher-Yates). */
  public int[] permutation(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
