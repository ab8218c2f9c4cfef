package dev.jdiffusion.spi;

import org.apiguardian.api.API;

/**
 * A plugin parameter outside its allowed range. Thrown by config records (see {@link Require}); the
 * configuration loader adds the file and the path of the offending field to the message.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class InvalidParameterException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String parameter;
  private final transient Object value;
  private final String allowed;

  public InvalidParameterException(String parameter, Object value, String allowed) {
    super(parameter + " = " + value + " is not allowed: must be " + allowed);
    this.parameter = parameter;
    this.value = value;
    this.allowed = allowed;
  }

  /** The parameter's name as written in a configuration. */
  public String parameter() {
    return parameter;
  }

  /** The rejected value. */
  public Object value() {
    return value;
  }

  /** What is allowed, e.g. {@code "> 0"}. */
  public String allowed() {
    return allowed;
  }
}
