package dev.jdiffusion.sampling.sampler;

/**
 * The standard normal noise a sampler consumes, addressed by image and draw rather than by order of use,
 * so that an image's noise does not depend on which batch it is drawn in.
 *
 * <p>Draw 0 is the starting noise {@code x_T}; draw {@code k >= 1} is the noise added by the {@code k}-th
 * update of a stochastic sampler (DDPM, DDIM with eta > 0). {@link #seeded(long)} is the default source;
 * tests supply their own to drive a sampler with known noise.
 */
@FunctionalInterface
public interface Noise {

  /**
   * Writes {@code length} standard normal values of image {@code image}, draw {@code draw}, into
   * {@code out[offset ..]}. The same arguments always give the same values.
   *
   * @param image the image's index in the whole sample (0 .. n-1 over all batches)
   * @param draw 0 for the starting noise, {@code k} for the noise of the {@code k}-th update
   */
  void fill(long image, int draw, double[] out, int offset, int length);

  /**
   * Noise that depends only on {@code (seed, image, draw)}: the same seed gives the same images whatever
   * the batch size, and two seeds share no stream. See {@link SeededNoise} for the derivation.
   */
  static Noise seeded(long seed) {
    return new SeededNoise(seed);
  }
}
