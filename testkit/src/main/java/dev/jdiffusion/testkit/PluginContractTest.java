package dev.jdiffusion.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.inject.Injector;
import dev.jdiffusion.core.Bootstrap;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.core.PluginRegistry;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.spi.Param;
import dev.jdiffusion.spi.PluginConfig;
import dev.jdiffusion.spi.PluginProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;

/**
 * What every plugin must satisfy, whatever its kind; the kind-specific contracts extend this class.
 * The plugin is discovered exactly as the framework discovers it: through {@link ServiceLoader} on the
 * test's class path, bound into Guice by {@link Bootstrap}.
 *
 * @param <C> the plugin's config record
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public abstract class PluginContractTest<C extends PluginConfig> {
  private static final Pattern KEBAB_CASE = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
  private static final YAMLMapper SCALARS = new YAMLMapper();
  private static final Map<ClassLoader, Injector> INJECTORS = new ConcurrentHashMap<>();

  /** A new instance of the provider under test, e.g. {@code new SigmoidWeighter()}. */
  protected abstract PluginProvider<C> provider();

  /** The plugin's kind. */
  protected abstract PluginKind kind();

  /**
   * Values for the parameters that have no default, as a configuration would give them; empty when
   * every parameter has a default.
   */
  protected Map<String, Object> requiredParameters() {
    return Map.of();
  }

  /**
   * The configurations the numeric checks run on. By default the one read from
   * {@code {name: <id>}} plus {@link #requiredParameters()}; add the corners of your parameter range.
   */
  protected List<C> configs() {
    return List.of(defaultConfig());
  }

  /** The config a user gets by naming the plugin (and its required parameters), defaults filled in. */
  protected final C defaultConfig() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("name", provider().id());
    ObjectMapper json = reader().json();
    requiredParameters().forEach((k, v) -> node.set(k, json.valueToTree(v)));
    return provider().configType().cast(reader().convert(provider().id(), node, kind().configType()));
  }

  /** The framework's configuration reader over every plugin on the test's class path. */
  protected final ConfigReader reader() {
    return injector().getInstance(ConfigReader.class);
  }

  /** The framework's plugin facade over every plugin on the test's class path. */
  protected final Plugins plugins() {
    return injector().getInstance(Plugins.class);
  }

  private Injector injector() {
    return INJECTORS.computeIfAbsent(
        getClass().getClassLoader(), loader -> Bootstrap.createInjector(loader, null));
  }

  @Test
  void idIsKebabCase() {
    String id = provider().id();
    assertThat(id)
        .as("id of %s: lower-case letters and digits separated by single dashes,"
            + " with a vendor prefix for third parties (acme-sigmoid)", provider().getClass().getName())
        .isNotNull()
        .matches(KEBAB_CASE);
  }

  @Test
  void descriptionIsOneNonBlankLine() {
    assertThat(provider().description())
        .as("description() of %s", provider().getClass().getName())
        .isNotBlank()
        .doesNotContain("\n");
  }

  @Test
  void providerIsAPublicClassWithAPublicNoArgumentConstructor() throws ReflectiveOperationException {
    Class<?> type = provider().getClass();
    assertThat(Modifier.isPublic(type.getModifiers()))
        .as("%s must be public: ServiceLoader instantiates it", type.getName()).isTrue();
    assertThat(Modifier.isPublic(type.getConstructor().getModifiers()))
        .as("%s needs a public no-argument constructor", type.getName()).isTrue();
  }

  /**
   * The provider is listed in {@code META-INF/services/<provider interface>} in the same jar or class
   * directory as the class itself (a services file under {@code src/test/resources} would pass a plain
   * ServiceLoader test but be missing from the published jar), and the registry found it under its id.
   */
  @Test
  void listedInMetaInfServicesOfItsOwnJar() throws IOException {
    Class<?> type = provider().getClass();
    String resource = "META-INF/services/" + kind().providerType().getName();
    CodeSource cs = type.getProtectionDomain().getCodeSource();
    assertThat(cs).as("code source of %s", type.getName()).isNotNull();
    String location = cs.getLocation().toString();
    List<String> listed = new ArrayList<>();
    boolean fileInSameSource = false;
    for (URL url : Collections.list(type.getClassLoader().getResources(resource))) {
      String u = url.toString();
      if (u.startsWith(location) || u.startsWith("jar:" + location + "!/")) {
        fileInSameSource = true;
        listed.addAll(providerNames(url));
      }
    }
    assertThat(fileInSameSource)
        .as("%s has no %s (put it in src/main/resources)", location, resource).isTrue();
    assertThat(listed).as("lines of %s in %s", resource, location).contains(type.getName());

    PluginRegistry registry = injector().getInstance(PluginRegistry.class);
    assertThat(registry.entries(kind()))
        .as("%s plugins discovered on the test class path", kind().label())
        .containsKey(provider().id());
    assertThat(registry.entries(kind()).get(provider().id()).provider()).isInstanceOf(type);
  }

  private static List<String> providerNames(URL url) {
    List<String> names = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(url.openStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        int hash = line.indexOf('#');
        String name = (hash < 0 ? line : line.substring(0, hash)).trim();
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + url, e);
    }
    return names;
  }

  /** Every parameter is a documented record component ({@link Param}) whose default parses to its type. */
  @Test
  void configIsARecordWithDocumentedParameters() {
    Class<C> type = provider().configType();
    assertThat(type.isRecord()).as("%s must be a record", type.getName()).isTrue();
    for (RecordComponent c : type.getRecordComponents()) {
      Param p = c.getAnnotation(Param.class);
      assertThat(p).as("@Param on %s.%s", type.getSimpleName(), c.getName()).isNotNull();
      assertThat(p.value()).as("@Param description of %s.%s", type.getSimpleName(), c.getName()).isNotBlank();
    }
  }

  /**
   * {@code {name: <id>}} (plus the required parameters) reads to a config whose every defaulted
   * component equals its declared default; each of {@link #configs()} survives a JSON and a YAML round
   * trip through the framework's mappers unchanged.
   */
  @Test
  void configRoundTripsThroughJsonAndYamlWithDefaultsFilled() throws ReflectiveOperationException {
    C config = defaultConfig();
    for (RecordComponent c : provider().configType().getRecordComponents()) {
      Param p = c.getAnnotation(Param.class);
      if (p == null || Param.REQUIRED.equals(p.defaultValue())) {
        continue;
      }
      Object expected;
      try {
        JsonNode literal = SCALARS.readTree(p.defaultValue());
        expected = reader().json().treeToValue(literal, c.getType());
      } catch (JsonProcessingException | IllegalArgumentException e) {
        fail("the default '%s' of %s.%s is not a %s: %s",
            p.defaultValue(), provider().configType().getSimpleName(), c.getName(), c.getType(), e);
        return;
      }
      assertThat(c.getAccessor().invoke(config))
          .as("%s.%s read from {name: %s} (default '%s')",
              provider().configType().getSimpleName(), c.getName(), provider().id(), p.defaultValue())
          .isEqualTo(expected);
    }
    for (C c : configs()) {
      for (ObjectMapper mapper : List.of(reader().json(), reader().yaml())) {
        String text;
        try {
          text = mapper.writerFor(kind().configType()).writeValueAsString(c);
        } catch (JsonProcessingException e) {
          throw new AssertionError("cannot write " + c + ": " + e.getMessage(), e);
        }
        Object back = reader().readYaml("round trip of " + c, text, kind().configType());
        assertThat(back).as("%s written as %s", c, text).isEqualTo(c);
      }
    }
  }
}
