package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.InvalidParameterException;

/** The {@code split} option: {@code train} or {@code test}. */
final class Splits {
  private Splits() {}

  static String check(String split) {
    if (!"train".equals(split) && !"test".equals(split)) {
      throw new InvalidParameterException("split", split, "train or test");
    }
    return split;
  }

  static boolean isTest(String split) {
    return "test".equals(split);
  }
}
