package dev.jdiffusion.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.jdiffusion.core.internal.ConfigMappers;
import dev.jdiffusion.core.internal.MissingValueException;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads configurations (JSON or YAML, by file extension) into typed, validated objects, and turns every
 * Jackson failure into a {@link ConfigException} that names the source, the field path, the value and
 * what is allowed.
 */
@Singleton
public final class ConfigReader {
  private static final Pattern MISSING_CREATOR_PROPERTY =
      Pattern.compile("Missing required creator property '([^']+)'");
  private static final YAMLMapper SCALARS = new YAMLMapper();

  private final PluginRegistry registry;
  private final ObjectMapper json;
  private final ObjectMapper yaml;

  @Inject
  public ConfigReader(PluginRegistry registry) {
    this.registry = registry;
    this.json = ConfigMappers.json(registry);
    this.yaml = ConfigMappers.yaml(registry);
  }

  /** The JSON mapper, with every plugin's config type registered. */
  public ObjectMapper json() {
    return json;
  }

  /** The YAML mapper, with every plugin's config type registered. */
  public ObjectMapper yaml() {
    return yaml;
  }

  /** Reads {@code file} as {@code type}: {@code .json} as JSON, anything else as YAML. */
  public <T> T read(Path file, Class<T> type) {
    String text;
    try {
      if (Files.isDirectory(file)) {
        throw new ConfigException(file.toString(), "", "a directory, not a configuration file", null);
      }
      long size = Files.size(file);
      if (size > Limits.MAX_CONFIG_BYTES) {
        throw tooLarge(file.toString(), size + " bytes");
      }
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file.toString(), "", "no such file", e);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new ConfigException(file.toString(), "", "not a text file (not valid UTF-8)", e);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "", "cannot read: " + e, e);
    }
    boolean isJson = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    return read(file.toString(), text, isJson ? json : yaml, type);
  }

  /** Reads YAML (or JSON, which YAML accepts) text from a named source. */
  public <T> T readYaml(String source, String text, Class<T> type) {
    return read(source, text, yaml, type);
  }

  private <T> T read(String source, String text, ObjectMapper mapper, Class<T> type) {
    if (text.length() > Limits.MAX_CONFIG_BYTES) {
      throw tooLarge(source, text.length() + " characters");
    }
    if (text.isBlank()) {
      throw new ConfigException(source, "", "empty; expected a configuration such as "
          + "{schedule: {name: cosine}, ...}", null);
    }
    T value;
    try {
      value = mapper.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw translate(source, e);
    }
    return checkZeroTerminalSnr(source, value);
  }

  private static ConfigException tooLarge(String source, String size) {
    return new ConfigException(source, "", "too large for a configuration: " + size + ", at most "
        + Limits.MAX_CONFIG_BYTES + " bytes are read", null);
  }

  /** Binds an already parsed tree, e.g. one built from command-line options. */
  public <T> T convert(String source, JsonNode node, Class<T> type) {
    try {
      return checkZeroTerminalSnr(source, json.treeToValue(node, type));
    } catch (JsonProcessingException e) {
      throw translate(source, e);
    } catch (IllegalArgumentException e) {
      if (e.getCause() instanceof JsonProcessingException jpe) {
        throw translate(source, jpe);
      }
      throw e;
    }
  }

  /**
   * Parses the command-line form of a plugin, {@code name[:key=value[,key=value...]]}, e.g.
   * {@code smoothed-kl:lambda=0.2} or {@code p2:k=1,gamma=0.5}, into {@code {name: ..., key: value}}.
   * Values are read as YAML scalars, so numbers stay numbers.
   */
  public static ObjectNode parseOption(String option) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    int colon = option.indexOf(':');
    String name = (colon < 0 ? option : option.substring(0, colon)).trim();
    node.put("name", name);
    if (colon >= 0) {
      for (String pair : option.substring(colon + 1).split(",")) {
        if (pair.isBlank()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new ConfigException(
              "'" + option + "'", "", "expected name:key=value,key=value but found '" + pair + "'", null);
        }
        String value = pair.substring(eq + 1).trim();
        JsonNode parsed;
        try {
          parsed = value.isEmpty() ? JsonNodeFactory.instance.textNode("") : SCALARS.readTree(value);
        } catch (JsonProcessingException e) {
          parsed = JsonNodeFactory.instance.textNode(value);
        }
        node.set(pair.substring(0, eq).trim(), parsed);
      }
    }
    return node;
  }

  /**
   * Refuses a configuration (a record with a {@code parameterization} and one or more schedules) that asks
   * for zero terminal SNR with a parameterization that cannot be trained or sampled where SNR = 0 (its
   * coefficients there are not finite: eps-prediction). Lin et al. 2024 (section 3.2) switch to
   * v-prediction for this reason; the message says so.
   */
  private <T> T checkZeroTerminalSnr(String source, T value) {
    if (value == null || !value.getClass().isRecord()) {
      return value;
    }
    ParameterizationConfig parameterization = null;
    String parameterizationField = null;
    String zeroTerminal = null;
    for (RecordComponent rc : value.getClass().getRecordComponents()) {
      Object v;
      try {
        v = rc.getAccessor().invoke(value);
      } catch (ReflectiveOperationException e) {
        continue;
      }
      if (v instanceof ParameterizationConfig p) {
        parameterization = p;
        parameterizationField = rc.getName();
      } else if (v instanceof ScheduleSpec s && s.zeroTerminalSnr() && zeroTerminal == null) {
        zeroTerminal = rc.getName();
      } else if (v instanceof List<?> list && zeroTerminal == null) {
        for (int i = 0; i < list.size(); i++) {
          if (list.get(i) instanceof ScheduleSpec s && s.zeroTerminalSnr()) {
            zeroTerminal = rc.getName() + "[" + i + "]";
            break;
          }
        }
      }
    }
    if (parameterization == null || zeroTerminal == null) {
      return value;
    }
    PluginEntry entry = registry.forConfig(parameterization);
    @SuppressWarnings("unchecked")
    ParameterizationProvider<ParameterizationConfig> provider =
        (ParameterizationProvider<ParameterizationConfig>) entry.provider();
    Optional<String> why = ZeroTerminalSnr.unsupported(provider.create(parameterization));
    if (why.isPresent()) {
      throw new ConfigException(source, parameterizationField, "'" + entry.id() + "' cannot be used with "
          + zeroTerminal + ".zeroTerminalSnr: true (at SNR = 0 its " + why.get() + "); zero terminal SNR"
          + " needs v-prediction: " + parameterizationField + ": {name: v}", null);
    }
    return value;
  }

  /** Turns a Jackson failure into a message a user can act on. */
  ConfigException translate(String source, JsonProcessingException e) {
    String path = e instanceof JsonMappingException m ? path(m) : "";
    String problem = problem(e, path);
    if (e instanceof InvalidTypeIdException && !path.endsWith("name")) {
      path = path.isEmpty() ? "name" : path + ".name";
    }
    InvalidParameterException ipe = find(e, InvalidParameterException.class);
    if (ipe != null && !path.endsWith(ipe.parameter())) {
      path = path.isEmpty() ? ipe.parameter() : path + "." + ipe.parameter();
    }
    Matcher missing = MISSING_CREATOR_PROPERTY.matcher(String.valueOf(e.getOriginalMessage()));
    if (missing.find() && !path.endsWith(missing.group(1))) {
      path = path.isEmpty() ? missing.group(1) : path + "." + missing.group(1);
    }
    return new ConfigException(source, path, problem, e);
  }

  private String problem(JsonProcessingException e, String path) {
    InvalidParameterException ipe = find(e, InvalidParameterException.class);
    if (ipe != null) {
      return "value " + ipe.value() + " is not allowed: must be " + ipe.allowed() + owner(e);
    }
    if (e instanceof InvalidTypeIdException ite) {
      PluginKind kind = PluginKind.ofConfigType(ite.getBaseType().getRawClass());
      String label = kind == null ? "plugin" : kind.label();
      Collection<PluginEntry> available = kind == null ? List.of() : registry.list(kind);
      String list = available.stream().map(x -> "  " + x.id() + " - " + x.description())
          .collect(Collectors.joining("\n"));
      if (ite.getTypeId() == null) {
        return "missing required value 'name' (the " + label + " to use); available " + label + "s:\n" + list;
      }
      return "unknown " + label + " '" + abbreviate(ite.getTypeId()) + "'; available " + label + "s:\n" + list;
    }
    if (e instanceof UnrecognizedPropertyException upe) {
      List<String> known = new ArrayList<>();
      for (Object k : upe.getKnownPropertyIds()) {
        known.add(String.valueOf(k));
      }
      PluginKind kind = PluginKind.ofConfigType(upe.getReferringClass());
      if (kind == PluginKind.WEIGHTER) {
        known.addAll(List.of("space", "normalize"));
      } else if (kind == PluginKind.SCHEDULE) {
        known.addAll(List.of("timesteps", "zeroTerminalSnr"));
      }
      known.sort(null);
      return "unknown field '" + upe.getPropertyName() + "'" + owner(e) + "; known fields: "
          + (known.isEmpty() ? "(none)" : String.join(", ", known));
    }
    if (e instanceof MissingValueException) {
      String name = path.contains(".") ? path.substring(path.lastIndexOf('.') + 1) : path;
      PluginEntry entry = entryOf(e);
      String doc = entry == null ? "" : entry.parameters().stream()
          .filter(p -> p.name().equals(name)).map(ParameterInfo::description)
          .filter(d -> !d.isEmpty()).findFirst().map(d -> " (" + d + ")").orElse("");
      return "missing required value" + doc + owner(e);
    }
    if (e instanceof InvalidFormatException ife) {
      return "wrong type: expected " + typeName(ife.getTargetType()) + ", got '"
          + abbreviate(String.valueOf(ife.getValue())) + "'"
          + owner(e);
    }
    if (e instanceof MismatchedInputException mie) {
      if (MISSING_CREATOR_PROPERTY.matcher(String.valueOf(mie.getOriginalMessage())).find()) {
        return "missing required value";
      }
      String message = firstLine(mie.getOriginalMessage());
      return mie.getTargetType() == null
          ? message
          : "wrong type: expected " + typeName(mie.getTargetType()) + " (" + message + ")" + owner(e);
    }
    JsonLocation at = e.getLocation();
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    return "not valid JSON/YAML" + where + ": " + firstLine(e.getOriginalMessage());
  }

  private PluginEntry entryOf(JsonProcessingException e) {
    if (e instanceof JsonMappingException m) {
      for (JsonMappingException.Reference r : m.getPath()) {
        Object from = r.getFrom();
        Class<?> type = from instanceof Class<?> c ? c : from == null ? null : from.getClass();
        if (type != null) {
          PluginEntry entry = registry.forConfigType(type).orElse(null);
          if (entry != null) {
            return entry;
          }
        }
      }
    }
    if (e instanceof ValueInstantiationException vie && vie.getType() != null) {
      PluginEntry entry = registry.forConfigType(vie.getType().getRawClass()).orElse(null);
      if (entry != null) {
        return entry;
      }
    }
    if (e instanceof MismatchedInputException mie && mie.getTargetType() != null) {
      return registry.forConfigType(mie.getTargetType()).orElse(null);
    }
    return null;
  }

  private String owner(JsonProcessingException e) {
    PluginEntry entry = entryOf(e);
    return entry == null ? "" : " (" + entry.kind().label() + " '" + entry.id() + "')";
  }

  private static String typeName(Class<?> type) {
    if (type == null) {
      return "a value";
    }
    if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
      return "a number";
    }
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      return "an integer";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type.isEnum()) {
      return "one of " + java.util.Arrays.toString(type.getEnumConstants());
    }
    return "a " + type.getSimpleName();
  }

  /** {@code s}, cut to 80 characters with a note of its length, so that a message stays one readable line. */
  static String abbreviate(String s) {
    return s == null || s.length() <= 80 ? s : s.substring(0, 60) + "... (" + s.length() + " characters)";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static <X extends Throwable> X find(Throwable e, Class<X> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
