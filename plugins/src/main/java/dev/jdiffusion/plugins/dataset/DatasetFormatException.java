package dev.jdiffusion.plugins.dataset;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Input a dataset plugin cannot use: a missing or truncated file, a wrong magic number, counts that do
 * not match, an image that does not decode. The message names the file, what was expected and what was
 * found: {@code <file>: expected <expected>, found <found>}.
 */
public final class DatasetFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final String expected;
  private final String found;

  public DatasetFormatException(Path file, String expected, String found) {
    this(String.valueOf(file), expected, found, null);
  }

  public DatasetFormatException(String file, String expected, String found, Throwable cause) {
    super(file + ": expected " + expected + ", found " + found, cause);
    this.file = file;
    this.expected = expected;
    this.found = found;
  }

  /** The file or directory at fault. */
  public String file() {
    return file;
  }

  /** What the reader expected there. */
  public String expected() {
    return expected;
  }

  /** What it found instead. */
  public String found() {
    return found;
  }
}
