package dev.jdiffusion.core;

/** A plugin could not be found, loaded or used; the message says which and why. */
public class PluginException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PluginException(String message) {
    super(message);
  }

  public PluginException(String message, Throwable cause) {
    super(message, cause);
  }
}
