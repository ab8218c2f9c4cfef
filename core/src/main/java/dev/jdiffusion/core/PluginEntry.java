package dev.jdiffusion.core;

import dev.jdiffusion.spi.PluginProvider;
import java.util.List;

/**
 * One discovered plugin.
 *
 * @param kind its kind
 * @param provider the instance ServiceLoader made
 * @param source where its class was loaded from: a jar file or a class directory
 */
public record PluginEntry(PluginKind kind, PluginProvider<?> provider, String source) {

  public String id() {
    return provider.id();
  }

  public String description() {
    return provider.description();
  }

  /** The documented parameters of its config record, in declaration order. */
  public List<ParameterInfo> parameters() {
    return ParameterInfo.of(provider.configType());
  }
}
