package dev.jdiffusion.pipeline;

/**
 * A job that cannot go on because of its input or its output directory: a missing checkpoint, a directory
 * that holds another comparison, an extractor other than the one a comparison was scored with. The message
 * is one line that names the file or value and what was expected; the command line prints it as is.
 */
public final class PipelineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PipelineException(String message) {
    super(message);
  }

  public PipelineException(String message, Throwable cause) {
    super(message, cause);
  }
}
