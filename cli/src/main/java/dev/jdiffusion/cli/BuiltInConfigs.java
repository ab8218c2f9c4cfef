package dev.jdiffusion.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The built-in configurations shipped beside the commands (run-*.yaml, compare-*.yaml). */
final class BuiltInConfigs {
  private BuiltInConfigs() {}

  static String read(String name) throws IOException {
    try (InputStream in = BuiltInConfigs.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in configuration " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
