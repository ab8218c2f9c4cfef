package dev.jdiffusion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.spi.weighter.WeighterProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryBasicsTest {

  @Test
  void duplicateIdsNameBothClassesAndTheirSources(@TempDir Path dir) {
    ClassLoader loader = TestWeighters.loaderListing(dir, List.of(TestWeighters.A.class, TestWeighters.SameIdAsA.class));
    String source = PluginRegistry.sourceOf(TestWeighters.A.class);
    assertThatThrownBy(() -> PluginRegistry.load(loader))
        .isInstanceOf(PluginException.class)
        .hasMessage("two weighter plugins have the id 'test-a': "
            + TestWeighters.A.class.getName() + " from " + source + " and "
            + TestWeighters.SameIdAsA.class.getName() + " from " + source);
  }

  @Test
  void idsMustBeKebabCase(@TempDir Path dir) {
    ClassLoader loader = TestWeighters.loaderListing(dir, List.of(TestWeighters.BadId.class));
    assertThatThrownBy(() -> PluginRegistry.load(loader))
        .isInstanceOf(PluginException.class)
        .hasMessageContaining("has the id 'Bad_Id': ids must be kebab-case");
  }

  @Test
  void unknownIdListsTheAvailableIdsWithDescriptions(@TempDir Path dir) {
    ClassLoader loader = TestWeighters.loaderListing(dir, List.of(TestWeighters.A.class, TestWeighters.NoClosedForm.class));
    PluginRegistry registry = PluginRegistry.load(loader);
    assertThatThrownBy(() -> registry.require(PluginKind.WEIGHTER, "test-b"))
        .isInstanceOf(UnknownPluginException.class)
        .hasMessage("unknown weighter 'test-b'; available weighters:\n"
            + "  test-a - first test weighter\n"
            + "  test-no-closed-form - min(SNR, 5) in x0 space, default conversion");
  }

  @Test
  void guiceHoldsOneMapPerKindKeyedById(@TempDir Path dir) {
    ClassLoader loader = TestWeighters.loaderListing(dir, List.of(TestWeighters.A.class));
    var injector = Bootstrap.createInjector(loader, null);
    Map<String, WeighterProvider<?>> weighters =
        injector.getInstance(com.google.inject.Key.get(new com.google.inject.TypeLiteral<Map<String, WeighterProvider<?>>>() {}));
    assertThat(weighters).containsOnlyKeys("test-a");
    assertThat(weighters.get("test-a")).isInstanceOf(TestWeighters.A.class);
    assertThat(injector.getInstance(PluginRegistry.class).entries(PluginKind.WEIGHTER)).containsOnlyKeys("test-a");
  }

  @Test
  void parametersAreDescribedFromTheRecord() {
    List<ParameterInfo> params = ParameterInfo.of(TestWeighters.A.Config.class);
    assertThat(params).containsExactly(
        new ParameterInfo("a", "double", "a number", java.util.Optional.of("1")));
  }
}
