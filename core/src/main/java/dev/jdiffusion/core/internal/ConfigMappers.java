package dev.jdiffusion.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import dev.jdiffusion.core.Limits;
import dev.jdiffusion.core.PluginRegistry;
import org.yaml.snakeyaml.LoaderOptions;

/** Builds the strict JSON and YAML mappers that configurations are read with. */
public final class ConfigMappers {
  private ConfigMappers() {}

  public static ObjectMapper json(PluginRegistry registry) {
    return configure(JsonMapper.builder(JsonFactory.builder().streamReadConstraints(CONSTRAINTS).build()),
        registry);
  }

  public static ObjectMapper yaml(PluginRegistry registry) {
    LoaderOptions loader = new LoaderOptions();
    loader.setCodePointLimit(Limits.MAX_CONFIG_BYTES);
    loader.setNestingDepthLimit(Limits.MAX_CONFIG_DEPTH);
    loader.setAllowDuplicateKeys(false);
    return configure(YAMLMapper.builder(YAMLFactory.builder()
        .loaderOptions(loader).streamReadConstraints(CONSTRAINTS).build()), registry);
  }

  /** Bounds on what a configuration may hold (see {@link Limits}). */
  private static final StreamReadConstraints CONSTRAINTS = StreamReadConstraints.builder()
      .maxDocumentLength(Limits.MAX_CONFIG_BYTES)
      .maxStringLength(Limits.MAX_CONFIG_STRING)
      .maxNestingDepth(Limits.MAX_CONFIG_DEPTH)
      .maxNumberLength(100)
      .build();

  private static ObjectMapper configure(
      com.fasterxml.jackson.databind.cfg.MapperBuilder<?, ?> builder, PluginRegistry registry) {
    ObjectMapper mapper =
        builder
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            // "lr: 1e-3" twice in one object: refuse rather than let the last one win silently
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .addModule(new Jdk8Module())
            .addModule(new PluginConfigModule(registry))
            .build();
    // "gamma: '5'" is a string, not a number: say so rather than guess.
    for (LogicalType t : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
      mapper.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    }
    mapper.registerModules(ObjectMapper.findModules(registry.classLoader()));
    return mapper;
  }
}
