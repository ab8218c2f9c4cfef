package dev.jdiffusion.spi;

import org.apiguardian.api.API;

/** Range checks for config records' compact constructors; each throws {@link InvalidParameterException}. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class Require {
  private Require() {}

  /** {@code value > 0} and finite. */
  public static double positive(String name, double value) {
    if (!(value > 0) || !Double.isFinite(value)) {
      throw new InvalidParameterException(name, value, "> 0 and finite");
    }
    return value;
  }

  /** {@code value >= 0} and finite. */
  public static double nonNegative(String name, double value) {
    if (!(value >= 0) || !Double.isFinite(value)) {
      throw new InvalidParameterException(name, value, ">= 0 and finite");
    }
    return value;
  }

  /** {@code low < value < high}. */
  public static double openInterval(String name, double value, double low, double high) {
    if (!(value > low && value < high)) {
      throw new InvalidParameterException(name, value, "in (" + low + ", " + high + ")");
    }
    return value;
  }

  /** {@code low < value <= high}. */
  public static double halfOpenInterval(String name, double value, double low, double high) {
    if (!(value > low && value <= high)) {
      throw new InvalidParameterException(name, value, "in (" + low + ", " + high + "]");
    }
    return value;
  }

  /** {@code value >= min}. */
  public static int atLeast(String name, int value, int min) {
    if (value < min) {
      throw new InvalidParameterException(name, value, ">= " + min);
    }
    return value;
  }
}
