package dev.jdiffusion.core;

import dev.jdiffusion.spi.PluginConfig;
import dev.jdiffusion.spi.PluginProvider;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every plugin found by {@link ServiceLoader}, by kind and id. Discovery covers the application class
 * path and, optionally, each jar of a plugin directory with a class loader of its own (parent-first, so
 * the SPI and shared libraries are the framework's). A jar that cannot be loaded, or a provider whose
 * constructor throws, is recorded as a {@link LoadFailure} naming the jar; the other plugins still load.
 * Two plugins of one kind with one id are an error naming both classes and their sources.
 */
public final class PluginRegistry {
  private static final Pattern KEBAB_CASE = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

  /** A plugin that could not be loaded. */
  public record LoadFailure(String source, String message) {}

  private final Map<PluginKind, Map<String, PluginEntry>> byKind;
  private final Map<Class<?>, PluginEntry> byConfigType;
  private final List<LoadFailure> failures;
  private final ClassLoader classLoader;

  private PluginRegistry(
      Map<PluginKind, Map<String, PluginEntry>> byKind,
      List<LoadFailure> failures,
      ClassLoader classLoader) {
    this.byKind = byKind;
    this.failures = List.copyOf(failures);
    this.classLoader = classLoader;
    Map<Class<?>, PluginEntry> configs = new HashMap<>();
    for (Map<String, PluginEntry> entries : byKind.values()) {
      for (PluginEntry e : entries.values()) {
        PluginEntry other = configs.putIfAbsent(e.provider().configType(), e);
        if (other != null) {
          throw new PluginException(
              "plugins '" + other.id() + "' (" + describe(other) + ") and '" + e.id() + "' ("
                  + describe(e) + ") share the config type " + e.provider().configType().getName()
                  + "; each plugin needs a config record of its own");
        }
      }
    }
    this.byConfigType = configs;
  }

  /** Plugins on the class path of {@code loader} only. */
  public static PluginRegistry load(ClassLoader loader) {
    return load(loader, null);
  }

  /**
   * Plugins on the class path of {@code loader} and in the jars of {@code pluginDirectory} (ignored when
   * null).
   *
   * @throws PluginException on a duplicate id or an id that is not kebab-case
   */
  public static PluginRegistry load(ClassLoader loader, Path pluginDirectory) {
    List<LoadFailure> failures = new ArrayList<>();
    List<PluginEntry> found = new ArrayList<>();
    discover(loader, null, found, failures);
    ClassLoader combined = loader;
    if (pluginDirectory != null) {
      List<URL> urls = new ArrayList<>();
      for (Path jar : jars(pluginDirectory)) {
        URLClassLoader jarLoader;
        try {
          URL url = jar.toUri().toURL();
          urls.add(url);
          jarLoader = new URLClassLoader("plugin " + jar.getFileName(), new URL[] {url}, loader);
        } catch (MalformedURLException e) {
          failures.add(new LoadFailure(jar.toString(), e.toString()));
          continue;
        }
        discover(jarLoader, jarLoader, found, failures);
      }
      combined = new URLClassLoader("plugins", urls.toArray(URL[]::new), loader);
    }
    Map<PluginKind, Map<String, PluginEntry>> byKind = new EnumMap<>(PluginKind.class);
    for (PluginKind kind : PluginKind.values()) {
      byKind.put(kind, new TreeMap<>());
    }
    for (PluginEntry e : found) {
      checkId(e);
      PluginEntry previous = byKind.get(e.kind()).putIfAbsent(e.id(), e);
      if (previous != null) {
        throw new PluginException(
            "two " + e.kind().label() + " plugins have the id '" + e.id() + "': "
                + describe(previous) + " and " + describe(e));
      }
    }
    byKind.replaceAll((k, v) -> Collections.unmodifiableMap(v));
    return new PluginRegistry(byKind, failures, combined);
  }

  private static List<Path> jars(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new PluginException("plugin directory " + directory + " does not exist or is not a directory");
    }
    try (Stream<Path> s = Files.list(directory)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      throw new PluginException("cannot list plugin directory " + directory + ": " + e, e);
    }
  }

  /**
   * Runs ServiceLoader for every kind. With {@code only} set, keeps the providers defined by that loader
   * (a child loader also sees its parent's services).
   */
  private static void discover(
      ClassLoader loader, ClassLoader only, List<PluginEntry> found, List<LoadFailure> failures) {
    String where = only instanceof URLClassLoader u ? u.getName() : "class path";
    for (PluginKind kind : PluginKind.values()) {
      Iterator<? extends PluginProvider<?>> it = iterate(kind, loader);
      while (true) {
        try {
          if (!it.hasNext()) {
            break;
          }
          PluginProvider<?> p = it.next();
          if (only != null && p.getClass().getClassLoader() != only) {
            continue;
          }
          found.add(new PluginEntry(kind, p, sourceOf(p.getClass())));
        } catch (ServiceConfigurationError | LinkageError e) {
          failures.add(new LoadFailure(where, kind.label() + " plugin failed to load: " + causes(e)));
          if (e instanceof LinkageError) {
            break;
          }
        }
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Iterator<? extends PluginProvider<?>> iterate(PluginKind kind, ClassLoader loader) {
    return (Iterator) ServiceLoader.load(kind.providerType(), loader).iterator();
  }

  private static String causes(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      sb.append(": ").append(c);
    }
    return sb.toString();
  }

  private static void checkId(PluginEntry e) {
    String id = e.id();
    if (id == null || !KEBAB_CASE.matcher(id).matches()) {
      throw new PluginException(
          e.kind().label() + " plugin " + describe(e) + " has the id '" + id
              + "': ids must be kebab-case (lower-case letters and digits separated by single dashes)");
    }
  }

  private static String describe(PluginEntry e) {
    return e.provider().getClass().getName() + " from " + e.source();
  }

  /** The jar or class directory a class was loaded from. */
  static String sourceOf(Class<?> type) {
    CodeSource cs = type.getProtectionDomain().getCodeSource();
    if (cs == null || cs.getLocation() == null) {
      return "(unknown source)";
    }
    try {
      return Paths.get(cs.getLocation().toURI()).toString();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return cs.getLocation().toString();
    }
  }

  /** The plugins of one kind, by id (sorted). */
  public Map<String, PluginEntry> entries(PluginKind kind) {
    return byKind.get(kind);
  }

  /** All plugins of one kind, sorted by id. */
  public Collection<PluginEntry> list(PluginKind kind) {
    return byKind.get(kind).values();
  }

  /** The plugin of {@code kind} with {@code id}, or an {@link UnknownPluginException} listing the ids. */
  public PluginEntry require(PluginKind kind, String id) {
    PluginEntry e = byKind.get(kind).get(id);
    if (e == null) {
      throw new UnknownPluginException(kind, id, list(kind));
    }
    return e;
  }

  /** The plugin whose config record is {@code config}'s class. */
  public PluginEntry forConfig(PluginConfig config) {
    return forConfigType(config.getClass())
        .orElseThrow(
            () -> new PluginException("no plugin declares the config type " + config.getClass().getName()));
  }

  public Optional<PluginEntry> forConfigType(Class<?> configType) {
    return Optional.ofNullable(byConfigType.get(configType));
  }

  /** Jars or providers that failed to load; the rest of the registry is usable. */
  public List<LoadFailure> failures() {
    return failures;
  }

  /** A loader that sees the class path and every plugin jar, for Jackson modules and Guice modules. */
  public ClassLoader classLoader() {
    return classLoader;
  }

  /** Kind -> id -> entry, for listings. */
  public Map<PluginKind, Map<String, PluginEntry>> all() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(byKind));
  }
}
