package dev.jdiffusion.spark;

/**
 * Spark could not be set up as asked: a malformed {@code --master} or {@code --conf}, a cluster that does not
 * answer or gives no executors, or a context that refused to start. The message is one line that names the
 * option or value at fault and what was expected; the cause, when there is one, keeps Spark's own exception.
 */
public final class SparkSetupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message one line naming the option or value and what was expected */
  public SparkSetupException(String message) {
    super(message);
  }

  /**
   * @param message one line naming the option or value and what was expected
   * @param cause Spark's exception
   */
  public SparkSetupException(String message, Throwable cause) {
    super(message, cause);
  }
}
