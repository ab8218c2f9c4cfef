package dev.jdiffusion.spi.dataset;

import org.apiguardian.api.API;

/** An opened dataset: a fixed number of images of one shape, readable by index. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface DatasetSource extends AutoCloseable {

  ImageShape shape();

  /** Number of images. */
  int size();

  /**
   * Writes image {@code index} into {@code dest} from {@code offset}: {@code shape().size()} floats,
   * channels first, pixels scaled to {@code [-1, 1]}.
   */
  void read(int index, float[] dest, int offset);

  /** The class label of image {@code index}, or -1 when the dataset has none. */
  default int label(int index) {
    return -1;
  }

  @Override
  default void close() {}
}
