package dev.jdiffusion.sampling.sampler;

import dev.jdiffusion.core.data.SplitMix64;

/**
 * Noise from one independent SplitMix64 stream per {@code (seed, image, draw)}.
 *
 * <p>The stream's seed is {@code derive(derive(seed, image), draw)} with SplitMix64's derivation
 * {@code derive(s, i) = mix(mix(s) ^ mix(i + 0x9e3779b97f4a7c15))} ({@link SplitMix64#derive}; {@code mix}
 * is the bijective 64-bit finalizer of Steele, Lea and Flood 2014). Each stream's uniform doubles (top 53
 * bits) become standard normals by Marsaglia's polar method, one normal per accepted pair. Consequences:
 * <ul>
 *   <li>image {@code i}'s values depend on the seed and {@code i} alone, so a sample of n images is the
 *       same whatever batches it is drawn in;</li>
 *   <li>different keys give unrelated stream seeds (equal only by a 64-bit hash collision), so seeds 0 and 1
 *       share no noise, unlike the scheme "batch b uses seed + b" this replaces, where seed 0's second batch
 *       was seed 1's first.</li>
 * </ul>
 * The values are the same on every JDK (no {@code java.util.Random}).
 *
 * @param seed the user's seed
 */
public record SeededNoise(long seed) implements Noise {

  @Override
  public void fill(long image, int draw, double[] out, int offset, int length) {
    SplitMix64 stream = new SplitMix64(streamSeed(image, draw));
    for (int i = 0; i < length; i++) {
      out[offset + i] = Gaussian.next(stream);
    }
  }

  /** The seed of image {@code image}'s stream for draw {@code draw}. */
  public long streamSeed(long image, int draw) {
    return SplitMix64.derive(SplitMix64.derive(seed, image), draw);
  }
}
