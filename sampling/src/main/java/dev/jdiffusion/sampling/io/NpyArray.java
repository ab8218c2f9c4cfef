package dev.jdiffusion.sampling.io;

import java.util.Arrays;

/**
 * An n-dimensional array as NumPy's {@code .npy} format stores it: a shape and the values in C order,
 * held as doubles whatever the file's dtype ({@code <f4} or {@code <f8}), with the dtype remembered.
 */
public record NpyArray(long[] shape, double[] data, String dtype) {
  public NpyArray {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + n + " values, got " + data.length);
    }
    if (!dtype.equals(Npy.FLOAT32) && !dtype.equals(Npy.FLOAT64)) {
      throw new IllegalArgumentException("dtype must be " + Npy.FLOAT32 + " or " + Npy.FLOAT64 + ", got " + dtype);
    }
  }

  public static NpyArray float32(float[] values, long... shape) {
    double[] d = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      d[i] = values[i];
    }
    return new NpyArray(shape.clone(), d, Npy.FLOAT32);
  }

  public static NpyArray float64(double[] values, long... shape) {
    return new NpyArray(shape.clone(), values.clone(), Npy.FLOAT64);
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NpyArray a && Arrays.equals(shape, a.shape) && Arrays.equals(data, a.data)
        && dtype.equals(a.dtype);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "NpyArray" + Arrays.toString(shape) + " " + dtype;
  }
}
