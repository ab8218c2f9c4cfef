package dev.jdiffusion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Key;
import com.google.inject.name.Names;
import dev.jdiffusion.core.PluginRegistry.LoadFailure;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's checks of a provider's declarations, its listings, and plugin modules. */
class RegistryDetailsTest {

  /** Has no description. */
  public static final class NoDescription implements WeighterProvider<NoDescription.Config> {
    public record Config() implements WeighterConfig {}

    @Override public String id() { return "test-no-description"; }
    @Override public String description() { return null; }
    @Override public Class<Config> configType() { return Config.class; }
    @Override public Weighter create(Config c) { return SnrWeighter.of(LossSpace.EPS, l -> 1); }
  }

  /** A schedule config declared by a weighter. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  public static final class WrongConfigKind implements WeighterProvider {
    public record Config() implements ScheduleConfig {}

    @Override public String id() { return "test-wrong-config"; }
    @Override public String description() { return "declares a schedule config"; }
    @Override public Class configType() { return Config.class; }
    @Override public Weighter create(WeighterConfig c) { return SnrWeighter.of(LossSpace.EPS, l -> 1); }
  }

  /** A plugin's own Guice module, found through META-INF/services. */
  public static final class NamedStringModule extends AbstractModule implements PluginModule {
    @Override
    protected void configure() {
      bindConstant().annotatedWith(Names.named("test-plugin-module")).to("bound by a plugin module");
    }
  }

  private static ClassLoader listing(Path dir, Class<?> provider) {
    return TestPlugins.loader(dir, Map.of(WeighterProvider.class, List.of(provider)));
  }

  @Test
  void aProviderWithoutADescriptionOrWithAConfigOfAnotherKindIsRefused(@TempDir Path a, @TempDir Path b) {
    String source = PluginRegistry.sourceOf(NoDescription.class);
    assertThatThrownBy(() -> PluginRegistry.load(listing(a, NoDescription.class)))
        .isInstanceOf(PluginException.class)
        .hasMessage("weighter plugin 'test-no-description' (" + NoDescription.class.getName() + " from " + source
            + ") has no description");
    assertThatThrownBy(() -> PluginRegistry.load(listing(b, WrongConfigKind.class)))
        .isInstanceOf(PluginException.class)
        .hasMessage("weighter plugin 'test-wrong-config' (" + WrongConfigKind.class.getName() + " from " + source
            + ") declares the config type " + WrongConfigKind.Config.class + ", which is not a "
            + WeighterConfig.class.getName());
  }

  @Test
  void listingsLookupsAndTheirErrors() {
    PluginRegistry registry = TestPlugins.injector().getInstance(PluginRegistry.class);
    Map<PluginKind, Map<String, PluginEntry>> all = registry.all();
    assertThat(all).containsOnlyKeys(PluginKind.values());
    assertThat(all.get(PluginKind.PARAMETERIZATION)).containsOnlyKeys("test-eps", "test-x0");
    assertThat(all.get(PluginKind.DATASET)).containsOnlyKeys("test-data");
    assertThatThrownBy(() -> all.put(PluginKind.DATASET, Map.of())).isInstanceOf(UnsupportedOperationException.class);
    PluginEntry data = registry.require(PluginKind.DATASET, "test-data");
    assertThat(data.parameters()).extracting(ParameterInfo::name).containsExactly("count", "flip", "fill", "label",
        "seed");
    assertThat(data.parameters()).extracting(ParameterInfo::required).containsExactly(false, false, false, true,
        false);
    assertThat(data.parameters().get(2)).isEqualTo(
        new ParameterInfo("fill", "Fill", "fill", java.util.Optional.of("ZEROS")));
    assertThat(registry.forConfig(new TestPlugins.Data.Config(1, false, TestPlugins.Fill.ONES, "", 1)))
        .isSameAs(data);
    record Stray() implements WeighterConfig {}
    assertThatThrownBy(() -> registry.forConfig(new Stray()))
        .isInstanceOf(PluginException.class)
        .hasMessage("no plugin declares the config type " + Stray.class.getName());
    assertThat(registry.forConfigType(String.class)).isEmpty();
    UnknownPluginException unknown = org.junit.jupiter.api.Assertions.assertThrows(UnknownPluginException.class,
        () -> registry.require(PluginKind.SCHEDULE, "cosine"));
    assertThat(unknown.kind()).isEqualTo(PluginKind.SCHEDULE);
    assertThat(unknown.id()).isEqualTo("cosine");
    assertThat(ParameterInfo.of(String.class)).isEmpty();
  }

  @Test
  void kindsKnowTheirConfigTypes() {
    assertThat(PluginKind.ofConfigType(TestPlugins.Linear.Config.class)).isEqualTo(PluginKind.SCHEDULE);
    assertThat(PluginKind.ofConfigType(TestPlugins.Data.Config.class)).isEqualTo(PluginKind.DATASET);
    assertThat(PluginKind.ofConfigType(String.class)).isNull();
    assertThat(PluginKind.WEIGHTER.providerType()).isEqualTo(WeighterProvider.class);
  }

  @Test
  void aClassWithoutACodeSourceHasAnUnknownSource() {
    assertThat(PluginRegistry.sourceOf(String.class)).isEqualTo("(unknown source)");
  }

  @Test
  void aDirectoryNamedJarAndAnEmptyJarAreNamedAsFailures(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("folder.jar"));
    Path empty = dir.resolve("empty.jar");
    try (OutputStream out = Files.newOutputStream(empty)) {
      new JarOutputStream(out).close(); // a valid jar without entries
    }
    PluginRegistry registry = PluginRegistry.load(RegistryDetailsTest.class.getClassLoader(), dir);
    assertThat(registry.failures()).extracting(LoadFailure::source, LoadFailure::message).containsExactly(
        org.assertj.core.groups.Tuple.tuple(empty.toString(), "an empty jar (no entries)"),
        org.assertj.core.groups.Tuple.tuple(dir.resolve("folder.jar").toString(), "not a regular file"));
    assertThat(registry.pluginJars()).isEmpty();
  }

  @Test
  void theCombinedLoaderFindsResourcesOfPluginJars(@TempDir Path dir, @TempDir Path work) throws IOException {
    Path classes = Files.createDirectories(work.resolve("classes/com/acme/res"));
    Files.writeString(classes.resolve("note.txt"), "hello");
    Path jar = PluginJars.jar(dir.resolve("res.jar"), work.resolve("classes"), "com.acme.res", Map.of());
    PluginRegistry registry = PluginRegistry.load(RegistryDetailsTest.class.getClassLoader(), dir);
    assertThat(registry.pluginJars()).containsExactly(jar);
    var url = registry.classLoader().getResource("com/acme/res/note.txt");
    assertThat(url).isNotNull();
    assertThat(url.toString()).contains("res.jar");
    assertThat(registry.classLoader().getResource("com/acme/res/absent.txt")).isNull();
  }

  @Test
  void pluginModulesFoundByServiceLoaderJoinTheInjector(@TempDir Path dir) throws IOException {
    Path services = Files.createDirectories(dir.resolve("META-INF/services"));
    Files.writeString(services.resolve(PluginModule.class.getName()), NamedStringModule.class.getName() + "\n");
    ClassLoader loader = TestPlugins.loader(dir, Map.of(WeighterProvider.class, List.of(TestWeighters.A.class)));
    var injector = Bootstrap.createInjector(loader, null);
    assertThat(injector.getInstance(Key.get(String.class, Names.named("test-plugin-module"))))
        .isEqualTo("bound by a plugin module");
  }
}
