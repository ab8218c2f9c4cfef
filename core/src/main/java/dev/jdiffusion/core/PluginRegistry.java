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
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every plugin found by {@link ServiceLoader}, by kind and id. Discovery covers the application class
 * path and, optionally, each jar of a plugin directory with a class loader of its own (parent-first, so
 * the SPI and shared libraries are the framework's). A jar that cannot be opened, a listed class that is
 * missing, or a provider whose constructor throws, is recorded as a {@link LoadFailure} naming the jar;
 * the other plugins still load.
 * Two plugins of one kind with one id are an error naming both classes and their sources.
 */
public final class PluginRegistry {
  private static final Pattern KEBAB_CASE = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

  /**
   * A plugin that could not be loaded.
   *
   * @param source the jar in the plugin directory (its path), or {@code class path}
   * @param message what went wrong, with the class and the cause
   */
  public record LoadFailure(String source, String message) {}

  private final Map<PluginKind, Map<String, PluginEntry>> byKind;
  private final Map<Class<?>, PluginEntry> byConfigType;
  private final List<LoadFailure> failures;
  private final ClassLoader classLoader;
  private final Path pluginDirectory;
  private final List<Path> pluginJars;

  private PluginRegistry(
      Map<PluginKind, Map<String, PluginEntry>> byKind,
      List<LoadFailure> failures,
      ClassLoader classLoader,
      Path pluginDirectory,
      List<Path> pluginJars) {
    this.byKind = byKind;
    this.failures = List.copyOf(failures);
    this.classLoader = classLoader;
    this.pluginDirectory = pluginDirectory;
    this.pluginJars = List.copyOf(pluginJars);
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
   * null). Each jar gets a class loader of its own whose parent is {@code loader} (parent-first: the SPI
   * and shared libraries are the framework's) and whose services are read from that jar alone. A jar that
   * is not a valid zip, a listed class that is missing, a constructor that throws, or an id that is not
   * kebab-case is recorded as a {@link LoadFailure} naming the jar; the other plugins still load.
   *
   * @throws PluginException on a duplicate id, an id on the class path that is not kebab-case, or a
   *     plugin directory that does not exist
   */
  public static PluginRegistry load(ClassLoader loader, Path pluginDirectory) {
    List<LoadFailure> failures = new ArrayList<>();
    List<PluginEntry> found = new ArrayList<>();
    discover(loader, "class path", found, failures, false);
    ClassLoader combined = loader;
    List<Path> loadedJars = new ArrayList<>();
    if (pluginDirectory != null) {
      // Absolute, so that the jars' paths are the sources their classes report (CodeSource is absolute).
      pluginDirectory = pluginDirectory.toAbsolutePath().normalize();
      List<URLClassLoader> jarLoaders = new ArrayList<>();
      for (Path jar : jars(pluginDirectory)) {
        String problem = checkJar(jar);
        if (problem != null) {
          failures.add(new LoadFailure(jar.toString(), problem));
          continue;
        }
        URLClassLoader jarLoader;
        try {
          jarLoader = new JarPluginLoader(jar, loader);
        } catch (MalformedURLException e) {
          failures.add(new LoadFailure(jar.toString(), "cannot make a URL of the path: " + e));
          continue;
        }
        jarLoaders.add(jarLoader);
        loadedJars.add(jar);
        discover(jarLoader, jar.toString(), found, failures, true);
      }
      combined = new PluginDirectoryLoader(loader, jarLoaders);
    }
    Map<PluginKind, Map<String, PluginEntry>> byKind = new EnumMap<>(PluginKind.class);
    for (PluginKind kind : PluginKind.values()) {
      byKind.put(kind, new TreeMap<>());
    }
    for (PluginEntry e : found) {
      PluginEntry previous = byKind.get(e.kind()).putIfAbsent(e.id(), e);
      if (previous != null) {
        throw new PluginException(
            "two " + e.kind().label() + " plugins have the id '" + e.id() + "': "
                + describe(previous) + " and " + describe(e));
      }
    }
    byKind.replaceAll((k, v) -> Collections.unmodifiableMap(v));
    return new PluginRegistry(byKind, failures, combined, pluginDirectory, loadedJars);
  }

  /** Why {@code jar} cannot be used as a plugin jar, or null when it opens as a jar. */
  private static String checkJar(Path jar) {
    if (!Files.isRegularFile(jar)) {
      return "not a regular file";
    }
    try (JarFile f = new JarFile(jar.toFile())) {
      return f.size() == 0 ? "an empty jar (no entries)" : null;
    } catch (IOException | SecurityException e) {
      return "not a valid jar (zip) file: " + e.getMessage();
    }
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
   * Runs ServiceLoader for every kind over {@code loader}. Every problem with one provider becomes a
   * {@link LoadFailure} of {@code where}; in a plugin jar ({@code dropIn}), so does an id that is not
   * kebab-case, while on the class path that is a programming error and throws.
   */
  private static void discover(
      ClassLoader loader, String where, List<PluginEntry> found, List<LoadFailure> failures, boolean dropIn) {
    for (PluginKind kind : PluginKind.values()) {
      Iterator<? extends PluginProvider<?>> it = iterate(kind, loader);
      while (true) {
        PluginProvider<?> p;
        try {
          if (!it.hasNext()) {
            break;
          }
          p = it.next();
        } catch (ServiceConfigurationError | LinkageError e) {
          failures.add(new LoadFailure(where, kind.label() + " plugin failed to load: " + causes(e)));
          if (e instanceof LinkageError) {
            break;
          }
          continue;
        }
        PluginEntry entry;
        try {
          entry = new PluginEntry(kind, p, sourceOf(p.getClass()));
          String problem = problemWith(entry);
          if (problem != null) {
            if (!dropIn) {
              throw new PluginException(problem);
            }
            failures.add(new LoadFailure(where, problem));
            continue;
          }
        } catch (RuntimeException | LinkageError e) {
          if (e instanceof PluginException) {
            throw e;
          }
          failures.add(new LoadFailure(where, kind.label() + " plugin " + p.getClass().getName()
              + " fails to describe itself (id, description, configType): " + e));
          continue;
        }
        found.add(entry);
      }
    }
  }

  /** What is wrong with a provider's declarations, or null. Calls id(), description() and configType(). */
  private static String problemWith(PluginEntry e) {
    String id = e.id();
    if (id == null || !KEBAB_CASE.matcher(id).matches()) {
      return e.kind().label() + " plugin " + describe(e) + " has the id '" + id
          + "': ids must be kebab-case (lower-case letters and digits separated by single dashes)";
    }
    if (e.description() == null) {
      return e.kind().label() + " plugin '" + id + "' (" + describe(e) + ") has no description";
    }
    Class<?> config = e.provider().configType();
    if (config == null || !e.kind().configType().isAssignableFrom(config)) {
      return e.kind().label() + " plugin '" + id + "' (" + describe(e) + ") declares the config type "
          + config + ", which is not a " + e.kind().configType().getName();
    }
    return null;
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

  /** The plugin directory the registry was loaded with, if any. */
  public Optional<Path> pluginDirectory() {
    return Optional.ofNullable(pluginDirectory);
  }

  /** The jars of the plugin directory that opened (each may still have had failing providers), sorted. */
  public List<Path> pluginJars() {
    return pluginJars;
  }

  /**
   * A loader that sees the class path and every plugin jar, for Jackson modules and Guice modules. It
   * defines no class itself: a class of a plugin jar comes from that jar's own loader, so it is the same
   * {@code Class} the registry's providers use.
   */
  public ClassLoader classLoader() {
    return classLoader;
  }

  /** Kind -> id -> entry, for listings. */
  public Map<PluginKind, Map<String, PluginEntry>> all() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(byKind));
  }

  /** One plugin jar: classes parent-first, but services read from this jar alone. */
  private static final class JarPluginLoader extends URLClassLoader {
    static {
      ClassLoader.registerAsParallelCapable();
    }

    JarPluginLoader(Path jar, ClassLoader parent) throws MalformedURLException {
      super("plugin " + jar.getFileName(), new URL[] {jar.toUri().toURL()}, parent);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
      return name.startsWith("META-INF/services/") ? findResources(name) : super.getResources(name);
    }
  }

  /** The class path plus every plugin jar, delegating to each jar's own loader. */
  private static final class PluginDirectoryLoader extends ClassLoader {
    static {
      ClassLoader.registerAsParallelCapable();
    }

    private final List<URLClassLoader> jars;

    PluginDirectoryLoader(ClassLoader parent, List<URLClassLoader> jars) {
      super("plugins", parent);
      this.jars = List.copyOf(jars);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      for (URLClassLoader jar : jars) {
        try {
          return jar.loadClass(name);
        } catch (ClassNotFoundException notInThisJar) {
          // look in the next jar
        }
      }
      throw new ClassNotFoundException(name + " (in no plugin jar)");
    }

    @Override
    protected URL findResource(String name) {
      for (URLClassLoader jar : jars) {
        URL url = jar.findResource(name);
        if (url != null) {
          return url;
        }
      }
      return null;
    }

    @Override
    protected Enumeration<URL> findResources(String name) throws IOException {
      List<URL> urls = new ArrayList<>();
      for (URLClassLoader jar : jars) {
        urls.addAll(Collections.list(jar.findResources(name)));
      }
      return Collections.enumeration(urls);
    }
  }
}
