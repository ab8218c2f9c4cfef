package dev.jdiffusion.trainer;

/**
 * Counter-based random numbers: the stream of a step is a pure function of {@code (seed, step, purpose)},
 * so a run resumed at step {@code s} draws exactly what an uninterrupted run drew there, and the "RNG
 * state" of a checkpoint is just its seed and step.
 *
 * <p>The generator is SplitMix64 (Steele, Lea &amp; Flood 2014, "Fast Splittable Pseudorandom Number
 * Generators"), seeded by mixing the three keys with its own finalizer; Gaussians by the Box-Muller
 * transform (Box &amp; Muller 1958) in double precision.
 */
public final class StepRandom {
  /** What a stream is used for; each purpose gets an independent stream per step. */
  public enum Purpose {
    TIMESTEPS(1),
    NOISE(2),
    DATA_ORDER(3);

    final long key;

    Purpose(long key) {
      this.key = key;
    }
  }

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private long state;
  private double spareGaussian = Double.NaN;

  private StepRandom(long state) {
    this.state = state;
  }

  /** The stream for {@code purpose} at {@code step} of a run seeded with {@code seed}. */
  public static StepRandom of(long seed, long step, Purpose purpose) {
    long s = mix(seed + GOLDEN);
    s = mix(s ^ (step * GOLDEN + 0x632BE59BD9B4E019L));
    s = mix(s ^ (purpose.key * 0xD1B54A32D192ED03L));
    return new StepRandom(s);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public long nextLong() {
    state += GOLDEN;
    return mix(state);
  }

  /** Uniform in {@code [0, 1)} with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in {@code [0, bound)}, without modulo bias (rejection). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be > 0, got " + bound);
    }
    long limit = Long.remainderUnsigned(-1L, bound);
    while (true) {
      long r = nextLong();
      if (Long.compareUnsigned(r, -1L - limit) < 0 || limit == bound - 1) {
        return (int) Long.remainderUnsigned(r, bound);
      }
    }
  }

  /** A standard normal sample. */
  public double nextGaussian() {
    if (!Double.isNaN(spareGaussian)) {
      double g = spareGaussian;
      spareGaussian = Double.NaN;
      return g;
    }
    double u1;
    do {
      u1 = nextDouble();
    } while (u1 == 0);
    double u2 = nextDouble();
    double r = Math.sqrt(-2 * Math.log(u1));
    spareGaussian = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Fills {@code dest} with standard normal samples. */
  public void fillGaussian(float[] dest) {
    for (int i = 0; i < dest.length; i++) {
      dest[i] = (float) nextGaussian();
    }
  }
}
