package dev.jdiffusion.spi.dataset;

import org.apiguardian.api.API;

/** The shape of one image, channels first. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record ImageShape(int channels, int height, int width) {
  public ImageShape {
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "image shape must be positive, got " + channels + "x" + height + "x" + width);
    }
  }

  /** Number of values of one image: {@code channels * height * width}. */
  public int size() {
    return channels * height * width;
  }

  @Override
  public String toString() {
    return channels + "x" + height + "x" + width;
  }
}
