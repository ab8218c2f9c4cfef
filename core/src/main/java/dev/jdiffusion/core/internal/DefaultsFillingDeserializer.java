package dev.jdiffusion.core.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.jdiffusion.core.ParameterInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a plugin's config record after filling in the defaults its {@code @Param} annotations declare,
 * and rejects a missing required parameter by name. The record's own deserializer does the rest
 * (unknown fields, wrong types, and the range checks of its compact constructor).
 */
final class DefaultsFillingDeserializer extends DelegatingDeserializer {
  private static final long serialVersionUID = 1L;
  private static final YAMLMapper LITERALS = new YAMLMapper();

  private final Class<?> recordType;
  private final List<ParameterInfo> parameters;
  private final Map<String, JsonNode> defaults;

  DefaultsFillingDeserializer(JsonDeserializer<?> delegate, Class<?> recordType) {
    super(delegate);
    this.recordType = recordType;
    this.parameters = ParameterInfo.of(recordType);
    this.defaults = new LinkedHashMap<>();
    for (ParameterInfo p : parameters) {
      p.defaultValue().ifPresent(literal -> defaults.put(p.name(), parse(recordType, p.name(), literal)));
    }
  }

  private static JsonNode parse(Class<?> type, String name, String literal) {
    try {
      return LITERALS.readTree(literal);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "the default of " + type.getName() + "." + name + " is not a YAML scalar: " + literal, e);
    }
  }

  @Override
  protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
    return new DefaultsFillingDeserializer(newDelegatee, recordType);
  }

  @Override
  public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    JsonNode tree = ctxt.readTree(p);
    if (tree instanceof ObjectNode node) {
      for (ParameterInfo param : parameters) {
        if (node.has(param.name())) {
          continue;
        }
        JsonNode def = defaults.get(param.name());
        if (def == null) {
          throw MissingValueException.of(p, ctxt.constructType(recordType), param);
        }
        node.set(param.name(), def.deepCopy());
      }
    }
    try (JsonParser replay = tree.traverse(p.getCodec())) {
      replay.nextToken();
      return _delegatee.deserialize(replay, ctxt);
    }
  }
}
