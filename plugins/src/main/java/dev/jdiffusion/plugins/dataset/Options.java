package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.InvalidParameterException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Checks of option values shared by the dataset configs. */
final class Options {
  private Options() {}

  /** A non-blank path. */
  static String requirePath(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidParameterException(name, value, "a file or directory path");
    }
    try {
      Path.of(value);
    } catch (InvalidPathException e) {
      throw new InvalidParameterException(name, value, "a valid path (" + e.getReason() + ")");
    }
    return value;
  }

  /** An absolute URL with a scheme ({@code https:}, {@code http:}, {@code file:}). */
  static String requireUrl(String name, String value) {
    try {
      if (value != null && java.net.URI.create(value).getScheme() != null) {
        return value;
      }
    } catch (IllegalArgumentException e) {
      throw new InvalidParameterException(name, value, "a URL (" + e.getMessage() + ")");
    }
    throw new InvalidParameterException(name, value, "an absolute URL such as https://host/path/");
  }

  /** Null (not set) or a path. */
  static String optionalPath(String name, String value) {
    return value == null ? null : requirePath(name, value);
  }

  /**
   * The cache directory of a dataset: {@code configured} when set, else {@code $JDIFFUSION_CACHE/datasets/<id>},
   * else {@code $XDG_CACHE_HOME/jdiffusion/datasets/<id>}, else {@code ~/.cache/jdiffusion/datasets/<id>}.
   */
  static Path cacheDir(String configured, String id) {
    if (configured != null) {
      return Path.of(configured);
    }
    String own = System.getenv("JDIFFUSION_CACHE");
    if (own != null && !own.isBlank()) {
      return Path.of(own, "datasets", id);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "jdiffusion", "datasets", id);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "jdiffusion", "datasets", id);
  }
}
