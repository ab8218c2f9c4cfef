package dev.jdiffusion.core;

/**
 * A configuration that cannot be used. The message names the source (file or command-line option), the
 * path of the field, the value found and what is allowed.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String path;

  public ConfigException(String source, String path, String problem, Throwable cause) {
    super(source + ": " + (path.isEmpty() ? "" : path + ": ") + problem, cause);
    this.source = source;
    this.path = path;
  }

  /** The file or option the configuration came from. */
  public String source() {
    return source;
  }

  /** The dotted path of the offending field, e.g. {@code weighter.gamma}; empty for the whole document. */
  public String path() {
    return path;
  }
}
