package dev.jdiffusion.core;

import dev.jdiffusion.spi.Param;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One parameter of a plugin's config record, read from the record component and its {@link Param}.
 *
 * @param name the field name in configurations
 * @param type the Java type's simple name
 * @param description the {@link Param#value()} text, or empty
 * @param defaultValue the default literal, empty when the parameter is required
 */
public record ParameterInfo(String name, String type, String description, Optional<String> defaultValue) {

  public boolean required() {
    return defaultValue.isEmpty();
  }

  /** The parameters of a config record; a class that is not a record has none. */
  public static List<ParameterInfo> of(Class<?> configType) {
    List<ParameterInfo> out = new ArrayList<>();
    RecordComponent[] components = configType.getRecordComponents();
    if (components == null) {
      return out;
    }
    for (RecordComponent c : components) {
      Param p = c.getAnnotation(Param.class);
      String description = p == null ? "" : p.value();
      Optional<String> def =
          p == null || Param.REQUIRED.equals(p.defaultValue())
              ? Optional.empty()
              : Optional.of(p.defaultValue());
      out.add(new ParameterInfo(c.getName(), c.getType().getSimpleName(), description, def));
    }
    return out;
  }
}
