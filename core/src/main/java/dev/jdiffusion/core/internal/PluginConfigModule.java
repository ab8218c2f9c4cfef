package dev.jdiffusion.core.internal;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.jdiffusion.core.PluginEntry;
import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.core.PluginRegistry;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.spi.PluginConfig;

/**
 * Teaches Jackson the discovered plugins' parameter types: each config record is a named subtype of
 * its kind's base type, selected by the {@code name} property (never by class name). Plugins need no
 * Jackson of their own; one that needs more can ship a {@code com.fasterxml.jackson.databind.Module}
 * service, which {@link ConfigMappers} also registers.
 */
public final class PluginConfigModule extends SimpleModule {
  private static final long serialVersionUID = 1L;

  /** Put on each kind's config base type: the plugin id is the {@code name} property. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "name")
  interface NamedByPluginId {}

  public PluginConfigModule(PluginRegistry registry) {
    super("jdiffusion-plugin-configs");
    for (PluginKind kind : PluginKind.values()) {
      setMixInAnnotation(kind.configType(), NamedByPluginId.class);
      for (PluginEntry e : registry.list(kind)) {
        registerSubtypes(new NamedType(e.provider().configType(), e.id()));
      }
    }
    addDeserializer(WeighterSpec.class, new SpecDeserializers.WeighterSpecDeserializer());
    addDeserializer(ScheduleSpec.class, new SpecDeserializers.ScheduleSpecDeserializer());
    addSerializer(WeighterSpec.class, new SpecDeserializers.WeighterSpecSerializer());
    addSerializer(ScheduleSpec.class, new SpecDeserializers.ScheduleSpecSerializer());
    setDeserializerModifier(
        new BeanDeserializerModifier() {
          private static final long serialVersionUID = 1L;

          @Override
          public JsonDeserializer<?> modifyDeserializer(
              DeserializationConfig config, BeanDescription desc, JsonDeserializer<?> deserializer) {
            Class<?> type = desc.getBeanClass();
            if (type.isRecord() && PluginConfig.class.isAssignableFrom(type)) {
              return new DefaultsFillingDeserializer(deserializer, type);
            }
            return deserializer;
          }
        });
  }
}
