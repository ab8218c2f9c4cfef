package dev.jdiffusion.pipeline.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.core.Bootstrap;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.MatchingRule;
import dev.jdiffusion.plugins.weighter.SmoothedKlWeighter;
import dev.jdiffusion.plugins.weighter.SoftMinSnrWeighter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The published comparison's configuration, the one docs/compare.md lists and benchmarks/grid-small.yaml are
 * valid, and the published one compares the match.
 */
class PublishedConfigTest {
  static final ConfigReader READER =
      Bootstrap.createInjector(PublishedConfigTest.class.getClassLoader(), null).getInstance(ConfigReader.class);

  @Test
  void thePublishedExperimentHasTheSoftMinSnrArmThatMatchesSmoothedKl() throws Exception {
    Path file = Path.of("..", "docs", "compare", "fashion-mnist.yaml").toAbsolutePath().normalize();
    CompareConfig cfg = READER.readYaml(file.toString(), Files.readString(file), CompareConfig.class);
    double lambda = cfg.weighters().stream().map(w -> w.config())
        .filter(c -> c instanceof SmoothedKlWeighter.Config).map(c -> ((SmoothedKlWeighter.Config) c).lambda())
        .findFirst().orElseThrow();
    double gamma = cfg.weighters().stream().map(w -> w.config())
        .filter(c -> c instanceof SoftMinSnrWeighter.Config).map(c -> ((SoftMinSnrWeighter.Config) c).gamma())
        .findFirst().orElseThrow();
    assertThat(gamma).isCloseTo(MatchingRule.softMinSnrGamma(lambda), within(1e-12));
  }

  @Test
  void theConfigurationListedInDocsCompareIsValid() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "compare.md").toAbsolutePath().normalize());
    int from = doc.indexOf("```yaml\n", doc.indexOf("## The configuration")) + "```yaml\n".length();
    String yaml = doc.substring(from, doc.indexOf("```", from));
    CompareConfig cfg = READER.readYaml("docs/compare.md", yaml, CompareConfig.class);
    assertThat(cfg.weighters()).hasSize(4);
  }

  @Test
  void theSmallTimingGridIsValidAndAsDocumented() throws Exception {
    Path file = Path.of("..", "benchmarks", "grid-small.yaml").toAbsolutePath().normalize();
    CompareConfig cfg = READER.readYaml(file.toString(), Files.readString(file), CompareConfig.class);
    assertThat(cfg.schedules()).hasSize(1);
    assertThat(cfg.weighters()).hasSize(2);
    assertThat(cfg.seeds()).hasSize(2);
    assertThat(cfg.training().steps()).isEqualTo(200);
    assertThat(cfg.evaluation().checkpoints()).isEqualTo(2);
    assertThat(cfg.evaluation().samples()).isEqualTo(200);
  }
}
