package dev.jdiffusion.sampling.fid;

import dev.jdiffusion.spi.dataset.ImageShape;

/**
 * Maps images to feature vectors for FID and KID: typically a classifier cut before its last layer, such as
 * pytorch-fid's Inception-v3 pool3 (2048 values) or the small classifier jdiffusion trains for 28x28 data.
 *
 * <p>Images are given in the framework's convention: float32, NCHW, pixels in [-1, 1], 1 (grayscale) or 3
 * (RGB) channels, any size. Adapting them to what the network expects (its input size, channel count and
 * pixel range) is the extractor's job and is part of its {@link #description()}.
 *
 * <p>FIDs computed with different extractors (or one network with different preprocessing) are on
 * different scales and must never be compared; every output that reports a distance names the extractor.
 */
public interface FeatureExtractor extends AutoCloseable {

  /**
   * A one-line identification of the network and its preprocessing, e.g. the model file, a hash of it,
   * input and output names, size and pixel range. Two extractors with equal descriptions give comparable
   * FIDs.
   */
  String description();

  /** The length D of one feature vector. */
  int dimension();

  /** The channels, height and width the network itself takes (images are adapted to it). */
  ImageShape inputShape();

  /**
   * Features of {@code n} images.
   *
   * @param images {@code n * shape.size()} values, NCHW, in [-1, 1]
   * @param shape the shape of one image (1 or 3 channels)
   * @return {@code n * dimension()} values, one row per image
   * @throws FeatureExtractionException when the network fails
   */
  double[] extract(float[] images, int n, ImageShape shape);

  /** Releases the network. */
  @Override
  void close();
}
