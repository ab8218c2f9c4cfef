package dev.jdiffusion.spi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.apiguardian.api.API;

/**
 * Documents one parameter of a plugin's config record and gives its default. A component without a
 * default is required: a configuration that omits it is rejected with an error naming the field.
 *
 * <pre>{@code
 * public record Config(@Param(value = "SNR clamp gamma (> 0)", defaultValue = "5") double gamma)
 *     implements WeighterConfig { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public @interface Param {

  /** Marks "no default": the parameter is required. */
  String REQUIRED = "\u0000required";

  /** One line: what the parameter means and which values are allowed. */
  String value();

  /** The default as a JSON/YAML scalar literal ({@code "5"}, {@code "0.008"}, {@code "true"}, {@code "train"}). */
  String defaultValue() default REQUIRED;
}
