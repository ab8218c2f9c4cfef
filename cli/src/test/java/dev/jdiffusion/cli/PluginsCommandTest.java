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
