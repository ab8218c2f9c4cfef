package dev.jdiffusion.core.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.jdiffusion.core.ParameterInfo;

/** A required plugin parameter is absent. */
public final class MissingValueException extends MismatchedInputException {
  private static final long serialVersionUID = 1L;

  private final String description;

  private MissingValueException(JsonParser p, String msg, JavaType type, String description) {
    super(p, msg, type);
    this.description = description;
  }

  static MissingValueException of(JsonParser p, JavaType type, ParameterInfo param) {
    MissingValueException e =
        new MissingValueException(
            p, "missing required value '" + param.name() + "'", type, param.description());
    e.prependPath(type.getRawClass(), param.name());
    return e;
  }

  public String description() {
    return description;
  }
}
