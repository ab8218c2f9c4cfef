package dev.jdiffusion.exporter.onnx;

import java.nio.file.Path;

/** Lets tests in other packages run the ONNX checker. */
public final class OnnxCheckerAccess {
  private OnnxCheckerAccess() {}

  public static void assertValid(Path model) throws Exception {
    OnnxChecker.assertValid(model);
  }
}
