package dev.jdiffusion.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Limits;
import dev.jdiffusion.core.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Absurd configurations fail at once, naming the file and what is wrong, instead of spinning or exhausting memory. */
class ConfigLimitsTest {
  private static final ConfigReader READER = Fixtures.READER;

  private static final String VALID = """
      schedule: {name: cosine, timesteps: 1000}
      parameterization: {name: eps}
      weighter: {name: smoothed-kl, lambda: 0.2}
      """;

  @Test
  void duplicateKeysAreRefusedInYamlAndJson(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("dup.yaml");
    Files.writeString(yaml, VALID + "weighter: {name: min-snr}\n");
    assertThatThrownBy(() -> READER.read(yaml, RunConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(yaml + ": ")
        .hasMessageContaining("Duplicate field 'weighter'");
    Path nested = dir.resolve("nested.yaml");
    Files.writeString(nested, VALID.replace("lambda: 0.2", "lambda: 0.2, lambda: 0.5"));
    assertThatThrownBy(() -> READER.read(nested, RunConfig.class)).hasMessageContaining("Duplicate field 'lambda'");
    Path json = dir.resolve("dup.json");
    Files.writeString(json, """
        {"schedule": {"name": "cosine"}, "parameterization": {"name": "eps"},
         "weighter": {"name": "min-snr", "gamma": 5, "gamma": 1}}
        """);
    assertThatThrownBy(() -> READER.read(json, RunConfig.class))
        .hasMessageStartingWith(json + ": ").hasMessageContaining("Duplicate field 'gamma'");
  }

  @Test
  void aHugeDocumentIsRefusedBeforeItIsParsed(@TempDir Path dir) throws Exception {
    Path big = dir.resolve("big.yaml");
    // a 50 MB quoted string once kept SnakeYAML busy for minutes
    String filler = "x".repeat(1 << 20);
    try (var out = Files.newBufferedWriter(big)) {
      out.write(VALID + "note: \"");
      for (int i = 0; i < 50; i++) {
        out.write(filler);
      }
      out.write("\"\n");
    }
    long start = System.nanoTime();
    assertThatThrownBy(() -> READER.read(big, RunConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage(big + ": too large for a configuration: " + Files.size(big) + " bytes, at most "
            + Limits.MAX_CONFIG_BYTES + " bytes are read");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void longJsonStringsAndDeepNestingWithinTheSizeLimitAreRefused(@TempDir Path dir) throws Exception {
    Path longString = dir.resolve("long.json");
    Files.writeString(longString, "{\"schedule\": {\"name\": \"" + "c".repeat(Limits.MAX_CONFIG_STRING + 1) + "\"}}");
    assertThatThrownBy(() -> READER.read(longString, RunConfig.class))
        .hasMessageStartingWith(longString + ": schedule: not valid JSON/YAML")
        .hasMessageContaining("String value length");
    Path deep = dir.resolve("deep.json");
    int depth = Limits.MAX_CONFIG_DEPTH + 10;
    Files.writeString(deep, "{\"schedule\": " + "{\"a\": ".repeat(depth) + "1" + "}".repeat(depth) + "}");
    assertThatThrownBy(() -> READER.read(deep, RunConfig.class))
        .hasMessageStartingWith(deep + ": ").hasMessageContaining("not valid JSON/YAML")
        .hasMessageContaining("Document nesting depth");
  }

  @Test
  void aLongValueIsAbbreviatedInTheMessage() {
    String name = "e".repeat(10_000);
    assertThatThrownBy(() -> READER.readYaml("run.yaml", VALID.replace("name: eps", "name: " + name), RunConfig.class))
        .hasMessageStartingWith("run.yaml: parameterization.name: unknown parameterization '" + "e".repeat(60)
            + "... (10000 characters)'");
  }

  @Test
  void timestepsHaveAnUpperBound() {
    assertThatThrownBy(() -> READER.readYaml("run.yaml",
        VALID.replace("timesteps: 1000", "timesteps: 100000000"), RunConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("run.yaml: schedule.timesteps: value 100000000 is not allowed: must be <= "
            + Limits.MAX_TIMESTEPS);
    assertThat(READER.readYaml("run.yaml", VALID.replace("timesteps: 1000", "timesteps: " + Limits.MAX_TIMESTEPS),
        RunConfig.class).schedule().timesteps()).isEqualTo(Limits.MAX_TIMESTEPS);
  }

  @Test
  void emptyBinaryAndDirectoryInputsAreNamed(@TempDir Path dir) throws Exception {
    Path empty = dir.resolve("empty.yaml");
    Files.writeString(empty, "\n");
    assertThatThrownBy(() -> READER.read(empty, RunConfig.class)).hasMessageStartingWith(empty + ": empty");
    Path binary = dir.resolve("binary.yaml");
    Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0x80});
    assertThatThrownBy(() -> READER.read(binary, RunConfig.class)).hasMessage(binary + ": not a text file (not valid UTF-8)");
    assertThatThrownBy(() -> READER.read(dir, RunConfig.class)).hasMessage(dir + ": a directory, not a configuration file");
  }
}
