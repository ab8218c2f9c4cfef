package dev.jdiffusion.core;

import com.google.inject.Module;

/**
 * A Guice module a plugin jar may contribute (listed in {@code META-INF/services}) for its own
 * dependencies. Found with ServiceLoader before the injector is built. Modules must be fast and free of
 * side effects.
 */
public interface PluginModule extends Module {}
