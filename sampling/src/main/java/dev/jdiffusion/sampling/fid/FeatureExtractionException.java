package dev.jdiffusion.sampling.fid;

/** A feature extractor could not be opened or failed on a batch; the message names the model. */
public final class FeatureExtractionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public FeatureExtractionException(String message) {
    super(message);
  }

  public FeatureExtractionException(String message, Throwable cause) {
    super(message, cause);
  }
}
