package dev.jdiffusion.core.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.PluginConfig;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import java.io.IOException;
import java.util.Optional;

/**
 * Jackson (de)serializers of {@link WeighterSpec} and {@link ScheduleSpec}: they take the options every
 * plugin of the kind shares ({@code space}, {@code normalize}; {@code timesteps}, {@code zeroTerminalSnr})
 * out of the object and read the rest as the plugin's own config record, chosen by {@code name}.
 */
final class SpecDeserializers {
  private SpecDeserializers() {}

  static final String[] WEIGHTER_OPTIONS = {"space", "normalize"};
  static final String[] SCHEDULE_OPTIONS = {"timesteps", "zeroTerminalSnr"};

  static final class WeighterSpecDeserializer extends StdDeserializer<WeighterSpec> {
    private static final long serialVersionUID = 1L;

    WeighterSpecDeserializer() {
      super(WeighterSpec.class);
    }

    @Override
    public WeighterSpec deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      ObjectNode node = object(p, ctxt, WeighterSpec.class, "{name: min-snr, gamma: 5}");
      Optional<LossSpace> space = Optional.empty();
      JsonNode s = node.remove("space");
      if (s != null && !s.isNull()) {
        try {
          space = Optional.of(LossSpace.parse(s.asText()));
        } catch (IllegalArgumentException e) {
          InvalidFormatException ex =
              InvalidFormatException.from(p, e.getMessage(), s.asText(), LossSpace.class);
          ex.prependPath(WeighterSpec.class, "space");
          throw ex;
        }
      }
      boolean normalize = bool(p, node.remove("normalize"), "normalize", WeighterSpec.class);
      WeighterConfig config = readAs(p, ctxt, node, WeighterConfig.class);
      return new WeighterSpec(config, space, normalize);
    }
  }

  static final class ScheduleSpecDeserializer extends StdDeserializer<ScheduleSpec> {
    private static final long serialVersionUID = 1L;

    ScheduleSpecDeserializer() {
      super(ScheduleSpec.class);
    }

    @Override
    public ScheduleSpec deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      ObjectNode node = object(p, ctxt, ScheduleSpec.class, "{name: cosine, timesteps: 1000}");
      int timesteps = ScheduleSpec.DEFAULT_TIMESTEPS;
      JsonNode t = node.remove("timesteps");
      if (t != null) {
        if (!t.isIntegralNumber() || !t.canConvertToInt()) {
          InvalidFormatException ex =
              InvalidFormatException.from(
                  p, "timesteps must be an integer", t.isTextual() ? t.asText() : t.toString(), int.class);
          ex.prependPath(ScheduleSpec.class, "timesteps");
          throw ex;
        }
        timesteps = t.intValue();
      }
      boolean zeroTerminal =
          bool(p, node.remove("zeroTerminalSnr"), "zeroTerminalSnr", ScheduleSpec.class);
      ScheduleConfig config = readAs(p, ctxt, node, ScheduleConfig.class);
      try {
        return new ScheduleSpec(config, timesteps, zeroTerminal);
      } catch (InvalidParameterException e) {
        JsonMappingException ex = JsonMappingException.from(p, e.getMessage(), e);
        ex.prependPath(ScheduleSpec.class, e.parameter());
        throw ex;
      }
    }
  }

  static final class WeighterSpecSerializer extends StdSerializer<WeighterSpec> {
    private static final long serialVersionUID = 1L;

    WeighterSpecSerializer() {
      super(WeighterSpec.class);
    }

    @Override
    public void serialize(WeighterSpec value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      ObjectNode node = tree(value.config(), WeighterConfig.class, gen, provider);
      value.space().ifPresent(s -> node.put("space", s.id()));
      if (value.normalize()) {
        node.put("normalize", true);
      }
      gen.writeTree(node);
    }
  }

  static final class ScheduleSpecSerializer extends StdSerializer<ScheduleSpec> {
    private static final long serialVersionUID = 1L;

    ScheduleSpecSerializer() {
      super(ScheduleSpec.class);
    }

    @Override
    public void serialize(ScheduleSpec value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      ObjectNode node = tree(value.config(), ScheduleConfig.class, gen, provider);
      node.put("timesteps", value.timesteps());
      if (value.zeroTerminalSnr()) {
        node.put("zeroTerminalSnr", true);
      }
      gen.writeTree(node);
    }
  }

  private static ObjectNode tree(
      PluginConfig config, Class<?> base, JsonGenerator gen, SerializerProvider provider)
      throws IOException {
    TokenBuffer buffer = new TokenBuffer(gen.getCodec(), false);
    TypeSerializer byName = provider.findTypeSerializer(provider.constructType(base));
    provider.findValueSerializer(config.getClass()).serializeWithType(config, buffer, provider, byName);
    try (JsonParser replay = buffer.asParser(gen.getCodec())) {
      return replay.readValueAsTree();
    }
  }

  private static ObjectNode object(
      JsonParser p, DeserializationContext ctxt, Class<?> type, String example) throws IOException {
    JsonNode tree = ctxt.readTree(p);
    if (tree instanceof ObjectNode node) {
      return node;
    }
    if (tree.isTextual()) {
      // A bare name is shorthand for {name: <text>}.
      ObjectNode node = ctxt.getNodeFactory().objectNode();
      node.put("name", tree.asText());
      return node;
    }
    return ctxt.reportInputMismatch(
        type, "expected an object such as %s, or a plugin name, got %s", example, tree.getNodeType());
  }

  private static boolean bool(JsonParser p, JsonNode value, String field, Class<?> owner)
      throws IOException {
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      InvalidFormatException ex =
          InvalidFormatException.from(
              p, field + " must be true or false", value.isTextual() ? value.asText() : value.toString(),
              boolean.class);
      ex.prependPath(owner, field);
      throw ex;
    }
    return value.booleanValue();
  }

  private static <T> T readAs(JsonParser p, DeserializationContext ctxt, JsonNode node, Class<T> type)
      throws IOException {
    try (JsonParser replay = node.traverse(p.getCodec())) {
      replay.nextToken();
      return ctxt.readValue(replay, type);
    }
  }
}
