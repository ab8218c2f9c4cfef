package dev.jdiffusion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration reader on core's own test plugins: typed results with defaults filled in, the generic
 * options of weighters and schedules, and one message per kind of mistake that names the source, the field
 * path, the value and what is allowed.
 */
class ConfigReaderTest {
  private static final ConfigReader READER = TestPlugins.reader();

  private static RunConfig yaml(String text) {
    return READER.readYaml("run.yaml", text, RunConfig.class);
  }

  private static String error(String text) {
    try {
      yaml(text);
    } catch (ConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("no error for:\n" + text);
  }

  private static final String VALID = """
      schedule: {name: test-linear, timesteps: 50}
      parameterization: {name: test-eps}
      weighter: {name: test-min-snr, gamma: 4}
      """;

  @Test
  void readsATypedConfigWithDefaultsAndGenericOptions() {
    RunConfig run = yaml(VALID);
    assertThat(run.schedule()).isEqualTo(new ScheduleSpec(new TestPlugins.Linear.Config(1e-4, 0.02), 50, false));
    assertThat(run.parameterization()).isEqualTo(new TestPlugins.Eps.Config());
    assertThat(run.weighter()).isEqualTo(WeighterSpec.of(new TestPlugins.MinSnr.Config(4)));
    assertThat(run.dataset()).isEmpty();

    RunConfig full = yaml("""
        schedule: {name: test-linear, betaEnd: 0.5, zeroTerminalSnr: true}
        parameterization: {name: test-x0}
        weighter: {name: test-min-snr, gamma: 2, space: V, normalize: true}
        dataset: {name: test-data, label: cats, fill: ONES, flip: true, count: 3, seed: 12345678901}
        """);
    assertThat(full.schedule()).isEqualTo(new ScheduleSpec(new TestPlugins.Linear.Config(1e-4, 0.5), 1000, true));
    assertThat(full.weighter()).isEqualTo(
        new WeighterSpec(new TestPlugins.MinSnr.Config(2), Optional.of(LossSpace.V), true));
    assertThat(full.dataset()).contains(
        new TestPlugins.Data.Config(3, true, TestPlugins.Fill.ONES, "cats", 12345678901L));
  }

  @Test
  void explicitFalseAndNullOptionsAreTheDefaults() {
    RunConfig run = yaml("""
        schedule: {name: test-linear, zeroTerminalSnr: false}
        parameterization: {name: test-eps}
        weighter: {name: test-min-snr, gamma: 4, normalize: false, space: null}
        """);
    assertThat(run.schedule().zeroTerminalSnr()).isFalse();
    assertThat(run.weighter()).isEqualTo(WeighterSpec.of(new TestPlugins.MinSnr.Config(4)));
    assertThatThrownBy(() -> yaml(VALID.replace("{name: test-eps}", "test-eps")))
        .hasMessageStartingWith("run.yaml: parameterization.name: missing required value 'name' (the"
            + " parameterization to use); available parameterizations:\n  test-eps - predicts eps");
  }

  @Test
  void specsRoundTripThroughJsonAndYaml() throws Exception {
    RunConfig full = yaml("""
        schedule: {name: test-linear, betaStart: 0.001, timesteps: 20, zeroTerminalSnr: true}
        parameterization: {name: test-x0}
        weighter: {name: test-min-snr, gamma: 2, space: eps, normalize: true}
        dataset: {name: test-data, label: dogs}
        """);
    String json = READER.json().writeValueAsString(full);
    JsonNode tree = READER.json().readTree(json);
    assertThat(tree.at("/schedule/name").asText()).isEqualTo("test-linear");
    assertThat(tree.at("/schedule/timesteps").asInt()).isEqualTo(20);
    assertThat(tree.at("/schedule/zeroTerminalSnr").asBoolean()).isTrue();
    assertThat(tree.at("/weighter/space").asText()).isEqualTo("eps");
    assertThat(tree.at("/weighter/normalize").asBoolean()).isTrue();
    assertThat(READER.json().readValue(json, RunConfig.class)).isEqualTo(full);
    assertThat(READER.readYaml("again.yaml", READER.yaml().writeValueAsString(full), RunConfig.class))
        .isEqualTo(full);

    // the defaults are written out; false and empty options are not
    String plain = READER.json().writeValueAsString(yaml(VALID));
    assertThat(READER.json().readTree(plain).get("weighter").has("normalize")).isFalse();
    assertThat(READER.json().readTree(plain).get("weighter").has("space")).isFalse();
    assertThat(READER.json().readTree(plain).get("schedule").has("zeroTerminalSnr")).isFalse();
    assertThat(READER.json().readTree(plain).at("/schedule/betaStart").asDouble()).isEqualTo(1e-4);
  }

  @Test
  void readsJsonAndYamlFilesByExtension(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("run.JSON");
    Files.writeString(json, """
        {"schedule": "test-linear", "parameterization": {"name": "test-eps"}, "weighter": {"name": "test-min-snr", "gamma": 3}}
        """);
    assertThat(READER.read(json, RunConfig.class).weighter().config()).isEqualTo(new TestPlugins.MinSnr.Config(3));
    Path yaml = dir.resolve("run.yml");
    Files.writeString(yaml, VALID);
    assertThat(READER.read(yaml, RunConfig.class)).isEqualTo(yaml(VALID));
    // YAML syntax in a .json file is read as JSON, and fails as JSON
    Path yamlInJson = dir.resolve("yaml.json");
    Files.writeString(yamlInJson, VALID);
    assertThatThrownBy(() -> READER.read(yamlInJson, RunConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(yamlInJson + ": not valid JSON/YAML at line 1, column ");
    assertThatThrownBy(() -> READER.read(dir.resolve("gone.yaml"), RunConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir.resolve("gone.yaml") + ": no such file")
        .extracting(e -> ((ConfigException) e).path()).isEqualTo("");
    assertThatThrownBy(() -> READER.read(dir, RunConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir + ": a directory, not a configuration file");
  }

  @Test
  void unknownAndMissingPluginNamesListTheAvailableOnes() {
    assertThat(error(VALID.replace("test-min-snr", "test-max-snr"))).isEqualTo("""
        run.yaml: weighter.name: unknown weighter 'test-max-snr'; available weighters:
          test-a - first test weighter
          test-min-snr - min(SNR, gamma) on the x0-MSE
          test-negative - 1 - logSNR
          test-zero - 0""");
    assertThat(error(VALID.replace("{name: test-linear, timesteps: 50}", "{timesteps: 50}")))
        .startsWith("run.yaml: schedule.name: missing required value 'name' (the schedule to use); available"
            + " schedules:\n  test-collapsing - betas of 1 from the middle on\n");
    assertThat(error(VALID.replace("{name: test-eps}", "{name: nope}")))
        .startsWith("run.yaml: parameterization.name: unknown parameterization 'nope'; available parameterizations:\n"
            + "  test-eps - predicts eps\n  test-x0 - predicts x0");
  }

  @Test
  void unknownFieldsListTheKnownOnesIncludingTheGenericOptions() {
    assertThat(error(VALID.replace("gamma: 4", "gamma: 4, gama: 5")))
        .isEqualTo("run.yaml: weighter.gama: unknown field 'gama' (weighter 'test-min-snr'); known fields: gamma,"
            + " normalize, space");
    assertThat(error(VALID.replace("timesteps: 50", "timesteps: 50, steps: 3")))
        .isEqualTo("run.yaml: schedule.steps: unknown field 'steps' (schedule 'test-linear'); known fields: betaEnd,"
            + " betaStart, timesteps, zeroTerminalSnr");
    assertThat(error(VALID.replace("{name: test-eps}", "{name: test-eps, clip: 1}")))
        .isEqualTo("run.yaml: parameterization.clip: unknown field 'clip' (parameterization 'test-eps');"
            + " known fields: (none)");
    assertThat(error(VALID + "extra: 1\n")).startsWith("run.yaml: extra: unknown field 'extra'; known fields: ");
  }

  @Test
  void missingRequiredValuesAreNamedWithTheirDescription() {
    assertThat(error(VALID.replace("{name: test-min-snr, gamma: 4}", "test-min-snr")))
        .isEqualTo("run.yaml: weighter.gamma: missing required value (clamp gamma, > 0 (required))"
            + " (weighter 'test-min-snr')");
    assertThat(error(VALID + "dataset: {name: test-data}\n"))
        .isEqualTo("run.yaml: dataset.label: missing required value (a label) (dataset 'test-data')");
    assertThat(error("parameterization: {name: test-eps}\nweighter: test-a\n"))
        .isEqualTo("run.yaml: schedule: missing required value");
  }

  @Test
  void invalidValuesNameTheFieldTheValueAndWhatIsAllowed() {
    assertThat(error(VALID.replace("gamma: 4", "gamma: -1")))
        .isEqualTo("run.yaml: weighter.gamma: value -1.0 is not allowed: must be > 0 and finite"
            + " (weighter 'test-min-snr')");
    assertThat(error(VALID.replace("timesteps: 50", "timesteps: 50, betaEnd: 1.5")))
        .isEqualTo("run.yaml: schedule.betaEnd: value 1.5 is not allowed: must be in (0.0, 1.0]"
            + " (schedule 'test-linear')");
    assertThat(error(VALID.replace("timesteps: 50", "timesteps: 1")))
        .isEqualTo("run.yaml: schedule.timesteps: value 1 is not allowed: must be >= 2");
    assertThat(error(VALID + "dataset: {name: test-data, label: x, count: 0}\n"))
        .isEqualTo("run.yaml: dataset.count: value 0 is not allowed: must be >= 1 (dataset 'test-data')");
  }

  @Test
  void wrongTypesSayWhatTypeIsExpected() {
    assertThat(error(VALID.replace("gamma: 4", "gamma: big")))
        .startsWith("run.yaml: weighter.gamma: wrong type: expected a number (").contains("big")
        .endsWith(" (weighter 'test-min-snr')");
    assertThat(error(VALID + "dataset: {name: test-data, label: x, count: many}\n"))
        .startsWith("run.yaml: dataset.count: wrong type: expected an integer (").contains("many")
        .endsWith(" (dataset 'test-data')");
    assertThat(error(VALID + "dataset: {name: test-data, label: x, seed: soon}\n"))
        .startsWith("run.yaml: dataset.seed: wrong type: expected an integer (").contains("soon")
        .endsWith(" (dataset 'test-data')");
    assertThat(error(VALID + "dataset: {name: test-data, label: x, fill: TWOS}\n"))
        .startsWith("run.yaml: dataset.fill: wrong type: expected one of [ZEROS, ONES]").contains("TWOS")
        .endsWith(" (dataset 'test-data')");
    assertThat(error(VALID + "dataset: {name: test-data, label: x, flip: maybe}\n"))
        .startsWith("run.yaml: dataset.flip: wrong type: expected true or false").contains("maybe")
        .endsWith(" (dataset 'test-data')");
    assertThat(error(VALID + "dataset: {name: test-data, label: [1, 2]}\n"))
        .startsWith("run.yaml: dataset.label: wrong type: expected a string (")
        .endsWith(" (dataset 'test-data')");
    assertThat(error(VALID.replace("timesteps: 50", "timesteps: 2.5")))
        .isEqualTo("run.yaml: schedule.timesteps: wrong type: expected an integer, got '2.5'");
    assertThat(error(VALID.replace("timesteps: 50", "timesteps: ten")))
        .isEqualTo("run.yaml: schedule.timesteps: wrong type: expected an integer, got 'ten'");
    assertThat(error(VALID.replace("timesteps: 50", "timesteps: 50, zeroTerminalSnr: yes please")))
        .isEqualTo("run.yaml: schedule.zeroTerminalSnr: wrong type: expected true or false, got 'yes please'");
    assertThat(error(VALID.replace("gamma: 4", "gamma: 4, normalize: 1")))
        .isEqualTo("run.yaml: weighter.normalize: wrong type: expected true or false, got '1'");
    assertThat(error(VALID.replace("gamma: 4", "gamma: 4, space: y")))
        .isEqualTo("run.yaml: weighter.space: wrong type: expected one of [EPS, X0, V], got 'y'");
    assertThat(error(VALID.replace("{name: test-min-snr, gamma: 4}", "[1, 2]")))
        .isEqualTo("run.yaml: weighter: wrong type: expected a WeighterSpec (expected an object such as"
            + " {name: min-snr, gamma: 5}, or a plugin name, got ARRAY)");
    assertThat(error(VALID.replace("{name: test-linear, timesteps: 50}", "7")))
        .isEqualTo("run.yaml: schedule: wrong type: expected a ScheduleSpec (expected an object such as"
            + " {name: cosine, timesteps: 1000}, or a plugin name, got NUMBER)");
  }

  @Test
  void syntaxErrorsGiveTheLineAndColumn() {
    assertThat(error("schedule: {name: test-linear\nweighter: [")).startsWith("run.yaml: ")
        .contains("not valid JSON/YAML at line 2, column ");
    String message = error("a: b: c");
    assertThat(message).startsWith("run.yaml: not valid JSON/YAML at line 1, column ").doesNotContain("\n");
  }

  @Test
  void convertBindsATreeAndTranslatesItsFailures() {
    DatasetConfig d = READER.convert("--dataset", ConfigReader.parseOption("test-data:label=x,count=2"),
        DatasetConfig.class);
    assertThat(d).isEqualTo(new TestPlugins.Data.Config(2, false, TestPlugins.Fill.ZEROS, "x", 7));
    assertThatThrownBy(() -> READER.convert("--weighter", ConfigReader.parseOption("test-min-snr:gamma=0"),
            WeighterSpec.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("--weighter: gamma: value 0.0 is not allowed: must be > 0 and finite (weighter 'test-min-snr')")
        .extracting(e -> ((ConfigException) e).path()).isEqualTo("gamma");
    assertThatThrownBy(() -> READER.convert("--weighter", ConfigReader.parseOption("test-min-snr"),
            WeighterSpec.class))
        .hasMessage("--weighter: gamma: missing required value (clamp gamma, > 0 (required)) (weighter 'test-min-snr')");
    assertThatThrownBy(() -> READER.convert("--weighter", ConfigReader.parseOption("nope"), WeighterSpec.class))
        .hasMessageStartingWith("--weighter: name: unknown weighter 'nope'; available weighters:\n  test-a");
  }

  @Test
  void parsesTheCommandLineForm() {
    assertThat(ConfigReader.parseOption(" test-min-snr ").toString()).isEqualTo("{\"name\":\"test-min-snr\"}");
    assertThat(ConfigReader.parseOption("p2:k=1, gamma = 0.5 ,,name2=text,empty=,flag=true").toString())
        .isEqualTo("{\"name\":\"p2\",\"k\":1,\"gamma\":0.5,\"name2\":\"text\",\"empty\":\"\",\"flag\":true}");
    assertThat(ConfigReader.parseOption("x:").toString()).isEqualTo("{\"name\":\"x\"}");
    // a value that is not a YAML scalar is kept as text
    assertThat(ConfigReader.parseOption("x:a=[1").get("a").asText()).isEqualTo("[1");
    assertThatThrownBy(() -> ConfigReader.parseOption("p2:k"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("'p2:k': expected name:key=value,key=value but found 'k'");
    assertThatThrownBy(() -> ConfigReader.parseOption("p2:=1"))
        .hasMessage("'p2:=1': expected name:key=value,key=value but found '=1'");
  }

  /** A configuration with a list of schedules, like a comparison's. */
  public record Schedules(ParameterizationConfig parameterization, List<ScheduleSpec> schedules) {}

  @Test
  void zeroTerminalSnrIsRefusedWithEpsPredictionAndAcceptedWithX0() {
    assertThat(error(VALID.replace("timesteps: 50", "timesteps: 50, zeroTerminalSnr: true")))
        .startsWith("run.yaml: parameterization: 'test-eps' cannot be used with schedule.zeroTerminalSnr: true"
            + " (at SNR = 0 its ")
        .contains("x0FromXt = Infinity")
        .endsWith("zero terminal SNR needs v-prediction: parameterization: {name: v}");
    RunConfig x0 = yaml(VALID.replace("timesteps: 50", "timesteps: 50, zeroTerminalSnr: true")
        .replace("test-eps", "test-x0"));
    assertThat(x0.schedule().zeroTerminalSnr()).isTrue();

    String many = """
        parameterization: {name: test-eps}
        schedules:
          - {name: test-linear}
          - {name: test-linear, zeroTerminalSnr: true}
        """;
    assertThatThrownBy(() -> READER.readYaml("cmp.yaml", many, Schedules.class))
        .hasMessageStartingWith("cmp.yaml: parameterization: 'test-eps' cannot be used with"
            + " schedules[1].zeroTerminalSnr: true");
    assertThat(READER.readYaml("cmp.yaml", many.replace("test-eps", "test-x0"), Schedules.class).schedules())
        .extracting(ScheduleSpec::zeroTerminalSnr).containsExactly(false, true);
    assertThat(READER.readYaml("cmp.yaml", many.replace(", zeroTerminalSnr: true", ""), Schedules.class)
        .schedules()).hasSize(2);
  }
}
