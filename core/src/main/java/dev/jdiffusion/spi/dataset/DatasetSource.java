package dev.jdiffusion.spi.dataset;

import org.apiguardian.api.API;

/**
 * An opened dataset: a fixed number of images of one shape, readable by index. Reads are pure
 * functions of the index (the same index always gives the same pixels); random augmentation that must
 * change every epoch is left to the batch pipeline, which a source asks for through
 * {@link #randomHorizontalFlip()}.
 */
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

  /**
   * Whether the batch pipeline should mirror each image left-right with probability 1/2, drawn anew
   * every epoch from the pipeline's seed. The default is {@code false}; datasets expose it as a
   * configuration option (e.g. {@code flip: true}) for data whose meaning survives a mirror.
   */
  default boolean randomHorizontalFlip() {
    return false;
  }

  @Override
  default void close() {}
}
