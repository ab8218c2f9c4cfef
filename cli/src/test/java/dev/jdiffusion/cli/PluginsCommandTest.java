package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.cli.WeightsCommandTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginsCommandTest {

  @Test
  void listsTheBuiltInsWithTheirOrigin() {
    Run r = WeightsCommandTest.run("plugins");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("  min-snr ").contains("(class path)").doesNotContain("plugin directory");
  }

  /** The options core reads around every schedule's and weighter's own parameters are listed, and accepted. */
  @Test
  void listsTheOptionsEveryScheduleAndWeighterTakes(@TempDir Path dir) {
    Run r = WeightsCommandTest.run("plugins");
    assertThat(r.exit()).as(r.err()).isZero();
    String out = r.out();
    String schedules = out.substring(out.indexOf("schedules ("), out.indexOf("weighters ("));
    String weighters = out.substring(out.indexOf("weighters ("), out.indexOf("parameterizations ("));
    assertThat(schedules).contains("every schedule also takes:")
        .containsPattern("\\n      timesteps +int +default 1000 +number of timesteps T")
        .containsPattern("\\n      zeroTerminalSnr boolean +default false +rescale so that the last timestep has SNR 0");
    assertThat(weighters).contains("every weighter also takes:")
        .containsPattern("\\n      space +eps\\|x0\\|v +default declared")
        .containsPattern("\\n      normalize +boolean +default false");
    for (var kind : PluginsCommand.SHARED.entrySet()) {
      assertThat(kind.getValue()).isNotEmpty();
    }
    // each listed option is one the configuration accepts
    Run used = WeightsCommandTest.run("weights", "--schedule", "cosine:timesteps=50,zeroTerminalSnr=true",
        "--parameterization", "v", "--weighter", "min-snr:space=eps,normalize=true", "--out", dir.toString());
    assertThat(used.exit()).as(used.err()).isZero();
  }

  @Test
  void aBrokenJarIsNamedAndTheOtherPluginsAreStillListed(@TempDir Path dir) throws Exception {
    Path broken = Files.writeString(dir.resolve("broken.jar"), "not a zip");
    Run r = WeightsCommandTest.run("--plugins", dir.toString(), "plugins");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .contains("  min-snr ")
        .contains("plugin directory " + dir + ": 0 jar(s)")
        .contains("failed to load (1):\n  " + broken + ": not a valid jar (zip) file");
    assertThat(r.err()).contains("error: 1 plugin(s) failed to load");
  }

  @Test
  void aMissingPluginDirectoryIsAOneLineError(@TempDir Path dir) {
    Run r = WeightsCommandTest.run("--plugins", dir.resolve("nope").toString(), "plugins");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("error: plugin directory " + dir.resolve("nope")
        + " does not exist or is not a directory" + System.lineSeparator());
  }

  /** A plugin directory may have a subcommand's name: {@code --plugins plugins plugins}. */
  @Test
  void aDirectoryNamedLikeASubcommandIsADirectory() {
    Run r = WeightsCommandTest.run("--plugins", "plugins", "plugins");
    assertThat(r.err()).startsWith("error: plugin directory " + Path.of("plugins").toAbsolutePath())
        .contains(" does not exist or is not a directory");
  }
}
