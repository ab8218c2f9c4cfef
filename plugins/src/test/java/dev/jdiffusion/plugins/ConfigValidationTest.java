package dev.jdiffusion.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.RunConfig;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.plugins.schedule.CosineSchedule;
import dev.jdiffusion.plugins.weighter.MinSnrWeighter;
import dev.jdiffusion.plugins.weighter.SmoothedKlWeighter;
import dev.jdiffusion.spi.LossSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Configurations in YAML and JSON: typed results, defaults, and one clear message per kind of mistake. */
class ConfigValidationTest {
  private static final ConfigReader READER = Fixtures.READER;

  private static RunConfig yaml(String text) {
    return READER.readYaml("run.yaml", text, RunConfig.class);
  }

  private static final String VALID =
      """
      schedule: {name: cosine, timesteps: 1000}
      parameterization: {name: eps}
      weighter: {name: smoothed-kl, lambda: 0.2}
      """;

  @Test
  void readsTypedConfigsWithDefaults() {
    RunConfig run = yaml(VALID);
    assertThat(run.weighter().config()).isEqualTo(new SmoothedKlWeighter.Config(0.2));
    assertThat(run.schedule().config()).isEqualTo(new CosineSchedule.Config(0.008, 0.999));
    assertThat(run.schedule().timesteps()).isEqualTo(1000);
    assertThat(run.weighter().space()).isEmpty();
    assertThat(run.dataset()).isEmpty();
    assertThat(yaml(VALID.replace("{name: smoothed-kl, lambda: 0.2}", "min-snr")).weighter().config())
        .isEqualTo(new MinSnrWeighter.Config(5));
  }

  @Test
  void readsJsonFilesAndRoundTrips(@TempDir Path dir) throws IOException {
    Path json = dir.resolve("run.json");
    Files.writeString(json,
        """
        {"schedule": {"name": "linear", "betaEnd": 0.03, "timesteps": 500, "zeroTerminalSnr": true},
         "parameterization": {"name": "v"},
         "weighter": {"name": "min-snr", "gamma": 4, "space": "eps", "normalize": true}}
        """);
    RunConfig run = READER.read(json, RunConfig.class);
    assertThat(run.schedule().timesteps()).isEqualTo(500);
    assertThat(run.schedule().zeroTerminalSnr()).isTrue();
    assertThat(run.weighter().space()).contains(LossSpace.EPS);
    assertThat(run.weighter().normalize()).isTrue();

    String written = READER.json().writeValueAsString(run);
    assertThat(READER.readYaml("round trip", written, RunConfig.class)).isEqualTo(run);
    Path yamlFile = dir.resolve("run.yaml");
    Files.writeString(yamlFile, READER.yaml().writeValueAsString(run));
    assertThat(READER.read(yamlFile, RunConfig.class)).isEqualTo(run);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      gamma <= 0        | weighter: {name: min-snr, gamma: 0}             | weighter.gamma | value 0.0 is not allowed: must be > 0
      gamma < 0         | weighter: {name: soft-min-snr, gamma: -2}       | weighter.gamma | value -2.0 is not allowed: must be > 0
      lambda <= 0       | weighter: {name: smoothed-kl, lambda: 0}        | weighter.lambda | value 0.0 is not allowed: must be > 0
      k < 0             | weighter: {name: p2, k: -1}                     | weighter.k | value -1.0 is not allowed: must be >= 0
      unknown field     | weighter: {name: min-snr, gama: 5}              | weighter.gama | unknown field 'gama' (weighter 'min-snr'); known fields: gamma, normalize, space
      wrong type        | weighter: {name: min-snr, gamma: five}          | weighter.gamma | wrong type: expected a number
      wrong type list   | weighter: {name: min-snr, gamma: [5]}           | weighter.gamma | wrong type: expected a number
      quoted number     | weighter: {name: min-snr, gamma: '5'}           | weighter.gamma | wrong type: expected a number
      missing value     | weighter: {name: smoothed-kl}                   | weighter.lambda | missing required value (smoothing lambda, > 0 (required)) (weighter 'smoothed-kl')
      missing name      | weighter: {gamma: 5}                            | weighter.name | missing required value 'name' (the weighter to use); available weighters:
      unknown name      | weighter: {name: min-snrr}                      | weighter.name | unknown weighter 'min-snrr'; available weighters:
      bad space         | weighter: {name: min-snr, space: x1}            | weighter.space | wrong type: expected one of [EPS, X0, V], got 'x1'
      bad normalize     | weighter: {name: min-snr, normalize: yes please} | weighter.normalize | wrong type: expected true or false
      """)
  void weighterMistakes(String what, String line, String path, String message) {
    String text = VALID.replace("weighter: {name: smoothed-kl, lambda: 0.2}", line);
    assertThatThrownBy(() -> yaml(text))
        .as(what)
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("run.yaml: " + path + ": " + message)
        .satisfies(e -> assertThat(((ConfigException) e).path()).isEqualTo(path));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      T < 2              | schedule: {name: cosine, timesteps: 1}       | schedule.timesteps | value 1 is not allowed: must be >= 2
      T not integer      | schedule: {name: cosine, timesteps: 2.5}     | schedule.timesteps | wrong type: expected an integer, got '2.5'
      beta out of range  | schedule: {name: linear, betaEnd: 1.5}       | schedule.betaEnd | value 1.5 is not allowed: must be in (0.0, 1.0]
      betas reversed     | schedule: {name: linear, betaStart: 0.1, betaEnd: 0.01} | schedule.betaEnd | value 0.01 is not allowed: must be >= betaStart (0.1)
      negative s         | schedule: {name: cosine, s: -0.1}            | schedule.s | value -0.1 is not allowed: must be >= 0 and finite
      unknown schedule   | schedule: {name: sigmoid}                    | schedule.name | unknown schedule 'sigmoid'; available schedules:
      """)
  void scheduleMistakes(String what, String line, String path, String message) {
    String text = VALID.replace("schedule: {name: cosine, timesteps: 1000}", line);
    assertThatThrownBy(() -> yaml(text))
        .as(what)
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("run.yaml: " + path + ": " + message);
  }

  @Test
  void unknownIdListsEveryAvailableIdWithItsDescription() {
    assertThatThrownBy(() -> yaml(VALID.replace("{name: eps}", "{name: epsilon}")))
        .hasMessageContaining("unknown parameterization 'epsilon'")
        .hasMessageContaining("  eps - predict the noise eps")
        .hasMessageContaining("  v - predict the velocity")
        .hasMessageContaining("  x0 - predict the clean sample x0");
  }

  @Test
  void missingSectionAndUnknownTopLevelField() {
    assertThatThrownBy(() -> yaml("schedule: cosine\nparameterization: {name: eps}\n"))
        .hasMessageStartingWith("run.yaml: weighter: missing required value");
    assertThatThrownBy(() -> yaml(VALID + "learning_rate: 0.1\n"))
        .hasMessageStartingWith("run.yaml: learning_rate: unknown field 'learning_rate'");
  }

  @Test
  void syntaxErrorsNameTheLine() {
    assertThatThrownBy(() -> yaml("schedule: {name: cosine\nweighter: x\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("run.yaml: ")
        .hasMessageContaining("not valid JSON/YAML at line 2, column 9");
  }

  @Test
  void missingFileIsNamed(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> READER.read(missing, RunConfig.class))
        .hasMessage(missing + ": no such file");
  }

  @Test
  void commandLineOptionsUseTheSameBinding() {
    WeighterSpec spec = READER.convert("--weighter", ConfigReader.parseOption("p2:k=2,gamma=0.5,normalize=true"),
        WeighterSpec.class);
    assertThat(spec.config()).isEqualTo(new dev.jdiffusion.plugins.weighter.P2Weighter.Config(2, 0.5));
    assertThat(spec.normalize()).isTrue();
    assertThatThrownBy(() -> READER.convert("--weighter min-snr:gamma=-1",
            ConfigReader.parseOption("min-snr:gamma=-1"), WeighterSpec.class))
        .hasMessage("--weighter min-snr:gamma=-1: gamma: value -1.0 is not allowed: must be > 0 and finite"
            + " (weighter 'min-snr')");
  }
}
