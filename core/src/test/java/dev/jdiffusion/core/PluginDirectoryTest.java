package dev.jdiffusion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.core.PluginRegistry.LoadFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins dropped into a plugin directory as jars: each loads with its own class loader; a broken jar, a
 * listed class that is missing, a constructor that throws or a bad id gives a failure that names the jar,
 * and never hides the other plugins.
 */
class PluginDirectoryTest {
  private static final ClassLoader APP = PluginDirectoryTest.class.getClassLoader();

  /** Every test plugin, compiled once: one package per jar. */
  @TempDir static Path work;
  private static Path classes;

  @BeforeAll
  static void compileTestPlugins() {
    classes = PluginJars.compile(work, Map.of(
        "com.acme.good.GoodWeighter", PluginJars.weighter("com.acme.good", "GoodWeighter", "acme-good", ""),
        "com.acme.b.Present", PluginJars.weighter("com.acme.b", "Present", "acme-present", ""),
        "com.acme.c.Throwing", PluginJars.weighter("com.acme.c", "Throwing", "acme-throwing",
            "if (true) { throw new IllegalStateException(\"licence server unreachable\"); }"),
        "com.acme.d.BadId", PluginJars.weighter("com.acme.d", "BadId", "Acme_Sigmoid", ""),
        "com.acme.one.Twin", PluginJars.weighter("com.acme.one", "Twin", "acme-twin", ""),
        "com.acme.two.Twin", PluginJars.weighter("com.acme.two", "Twin", "acme-twin", "")));
  }

  private static Path jar(Path jar, String pkg, String services) {
    return PluginJars.jar(jar, classes, pkg, Map.of(PluginJars.WEIGHTER_SERVICES, services));
  }

  private static Path good(Path dir) {
    return jar(dir.resolve("good.jar"), "com.acme.good", "# the good one\ncom.acme.good.GoodWeighter\n");
  }

  @Test
  void loadsAJarWithItsOwnClassLoaderAndSaysWhereItCameFrom(@TempDir Path dir) throws Exception {
    Path jar = good(dir);
    PluginRegistry registry = PluginRegistry.load(APP, dir);

    PluginEntry e = registry.require(PluginKind.WEIGHTER, "acme-good");
    assertThat(e.source()).isEqualTo(jar.toString());
    assertThat(e.provider().getClass().getClassLoader()).isNotSameAs(APP);
    assertThat(e.provider().getClass().getClassLoader().getParent()).isSameAs(APP);
    assertThat(registry.failures()).isEmpty();
    assertThat(registry.pluginDirectory()).contains(dir);
    assertThat(registry.pluginJars()).containsExactly(jar);
    // The combined loader (for Jackson and Guice modules) hands out the very same classes.
    assertThat(registry.classLoader().loadClass("com.acme.good.GoodWeighter")).isSameAs(e.provider().getClass());
    assertThat(registry.classLoader().getResources(PluginJars.WEIGHTER_SERVICES).hasMoreElements()).isTrue();
  }

  @Test
  void brokenJarsAreNamedAndDoNotHideTheOthers(@TempDir Path dir) throws IOException {
    Path good = good(dir);
    Path notAZip = Files.writeString(dir.resolve("a-not-a-zip.jar"), "this is not a zip file");
    Path missing = jar(dir.resolve("b-missing-class.jar"), "com.acme.b", "com.acme.b.Absent\ncom.acme.b.Present\n");
    Path throwing = jar(dir.resolve("c-throws.jar"), "com.acme.c", "com.acme.c.Throwing\n");
    Path badId = jar(dir.resolve("d-bad-id.jar"), "com.acme.d", "com.acme.d.BadId\n");
    Files.writeString(dir.resolve("README.txt"), "not a jar: ignored");

    PluginRegistry registry = PluginRegistry.load(APP, dir);

    assertThat(registry.entries(PluginKind.WEIGHTER)).containsOnlyKeys("acme-good", "acme-present");
    assertThat(registry.entries(PluginKind.WEIGHTER).get("acme-present").source()).isEqualTo(missing.toString());
    assertThat(registry.failures()).extracting(LoadFailure::source)
        .containsExactly(notAZip.toString(), missing.toString(), throwing.toString(), badId.toString());
    assertThat(registry.failures().get(0).message()).startsWith("not a valid jar (zip) file");
    assertThat(registry.failures().get(1).message())
        .contains("weighter plugin failed to load").contains("com.acme.b.Absent not found");
    assertThat(registry.failures().get(2).message())
        .contains("com.acme.c.Throwing could not be instantiated")
        .contains("IllegalStateException: licence server unreachable");
    assertThat(registry.failures().get(3).message())
        .contains("has the id 'Acme_Sigmoid': ids must be kebab-case").contains(badId.toString());
    assertThat(registry.pluginJars()).containsExactly(missing, throwing, badId, good);
  }

  @Test
  void classPathServicesAreNotReadAgainThroughEachJar(@TempDir Path dir, @TempDir Path cp) {
    good(dir);
    ClassLoader withA = TestWeighters.loaderListing(cp, java.util.List.of(TestWeighters.A.class));
    PluginRegistry registry = PluginRegistry.load(withA, dir);
    assertThat(registry.entries(PluginKind.WEIGHTER)).containsOnlyKeys("acme-good", "test-a");
    assertThat(registry.failures()).isEmpty();
  }

  @Test
  void theSameIdInTwoJarsIsAnErrorNamingBothJars(@TempDir Path dir) {
    Path one = jar(dir.resolve("one.jar"), "com.acme.one", "com.acme.one.Twin\n");
    Path two = jar(dir.resolve("two.jar"), "com.acme.two", "com.acme.two.Twin\n");
    assertThatThrownBy(() -> PluginRegistry.load(APP, dir))
        .isInstanceOf(PluginException.class)
        .hasMessage("two weighter plugins have the id 'acme-twin': com.acme.one.Twin from " + one
            + " and com.acme.two.Twin from " + two);
  }

  @Test
  void aMissingDirectoryIsAnError(@TempDir Path dir) {
    Path absent = dir.resolve("absent");
    assertThatThrownBy(() -> PluginRegistry.load(APP, absent))
        .isInstanceOf(PluginException.class)
        .hasMessage("plugin directory " + absent + " does not exist or is not a directory");
  }

  @Test
  void anEmptyDirectoryLoadsTheClassPathOnly(@TempDir Path dir) {
    PluginRegistry registry = PluginRegistry.load(APP, dir);
    assertThat(registry.failures()).isEmpty();
    assertThat(registry.pluginJars()).isEmpty();
  }

  @Test
  void aDroppedInPluginIsConfiguredAndBoundLikeABuiltIn(@TempDir Path dir) {
    good(dir);
    var injector = Bootstrap.createInjector(APP, dir);
    ConfigReader reader = injector.getInstance(ConfigReader.class);
    Plugins plugins = injector.getInstance(Plugins.class);
    WeighterSpec spec = reader.convert("test", ConfigReader.parseOption("acme-good"), WeighterSpec.class);
    assertThat(plugins.idOf(spec.config())).isEqualTo("acme-good");
    assertThat(plugins.weighter(spec.config()).space()).isEqualTo(dev.jdiffusion.spi.LossSpace.EPS);
  }

  /** A relative directory: the jars are listed by the same absolute paths their classes report. */
  @Test
  void aRelativeDirectoryReportsAbsoluteSources(@TempDir Path dir) {
    Path jar = good(dir);
    Path relative = Path.of("").toAbsolutePath().relativize(dir);
    PluginRegistry registry = PluginRegistry.load(APP, relative);
    assertThat(registry.pluginJars()).containsExactly(jar.toAbsolutePath());
    assertThat(registry.pluginDirectory()).contains(dir.toAbsolutePath());
    assertThat(registry.require(PluginKind.WEIGHTER, "acme-good").source())
        .isEqualTo(registry.pluginJars().get(0).toString());
  }
}
