package dev.jdiffusion.core;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds small plugin jars in tests: Java sources compiled against core with javax.tools, plus files. */
final class PluginJars {
  private PluginJars() {}

  /** Compiles {@code sources} (fully qualified class name to source text) against core into a new directory. */
  static Path compile(Path work, Map<String, String> sources) {
    try {
      Path classes = Files.createDirectories(work.resolve("classes"));
      List<String> args = new ArrayList<>(List.of(
          "--release", "17", "-proc:none", "-d", classes.toString(), "-cp", classpath()));
      for (Map.Entry<String, String> s : sources.entrySet()) {
        Path file = work.resolve("src").resolve(s.getKey().replace('.', '/') + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, s.getValue());
        args.add(file.toString());
      }
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      int rc = javac.run(null, null, null, args.toArray(String[]::new));
      if (rc != 0) {
        throw new IllegalStateException("javac failed with " + rc + " for " + sources.keySet());
      }
      return classes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes {@code jar} with the compiled classes of package {@code pkg} (from {@code classes}) and
   * {@code files} (jar path to text, e.g. a services file).
   */
  static Path jar(Path jar, Path classes, String pkg, Map<String, String> files) {
    Path from = classes.resolve(pkg.replace('.', '/'));
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      try (Stream<Path> walk = Files.walk(from)) {
        for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
          j.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
          j.write(Files.readAllBytes(p));
          j.closeEntry();
        }
      }
      for (Map.Entry<String, String> f : files.entrySet()) {
        j.putNextEntry(new JarEntry(f.getKey()));
        j.write(f.getValue().getBytes(StandardCharsets.UTF_8));
        j.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return jar;
  }

  /** Core's classes and the annotations they carry. */
  private static String classpath() {
    try {
      return Path.of(dev.jdiffusion.spi.PluginProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          + java.io.File.pathSeparator
          + Path.of(org.apiguardian.api.API.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The source of a weighter plugin {@code pkg.cls} with {@code id}; {@code constructorBody} may throw. */
  static String weighter(String pkg, String cls, String id, String constructorBody) {
    return """
        package %1$s;

        import dev.jdiffusion.spi.LossSpace;
        import dev.jdiffusion.spi.weighter.SnrWeighter;
        import dev.jdiffusion.spi.weighter.Weighter;
        import dev.jdiffusion.spi.weighter.WeighterConfig;
        import dev.jdiffusion.spi.weighter.WeighterProvider;

        public final class %2$s implements WeighterProvider<%2$s.Config> {
          public record Config() implements WeighterConfig {}

          public %2$s() {
            %4$s
          }

          @Override public String id() { return "%3$s"; }
          @Override public String description() { return "test weighter %3$s"; }
          @Override public Class<Config> configType() { return Config.class; }
          @Override public Weighter create(Config c) { return SnrWeighter.of(LossSpace.EPS, l -> 1); }
        }
        """.formatted(pkg, cls, id, constructorBody);
  }

  static final String WEIGHTER_SERVICES = "META-INF/services/dev.jdiffusion.spi.weighter.WeighterProvider";
}
