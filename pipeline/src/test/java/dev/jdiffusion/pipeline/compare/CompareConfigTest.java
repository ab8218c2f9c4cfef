package dev.jdiffusion.pipeline.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.sampling.sampler.DdimSampler;
import dev.jdiffusion.sampling.sampler.HeunSampler;
import dev.jdiffusion.sampling.sampler.Spacing;
import org.junit.jupiter.api.Test;

/** The evaluation section takes every sampler {@code ./diffusion sample} takes, and refuses others in one line. */
class CompareConfigTest {
  static final String CONFIG = """
      dataset: {name: synthetic, count: 16, size: 8}
      schedules: [{name: cosine, timesteps: 50}]
      parameterization: {name: eps}
      weighters: [{name: uniform}, {name: min-snr, gamma: 5}]
      training: {steps: 4}
      evaluation: {checkpoints: 2, samplingSteps: 3%s}
      """;

  static CompareConfig.Evaluation read(String evaluation) {
    return PublishedConfigTest.READER.readYaml("cmp.yaml", CONFIG.formatted(evaluation), CompareConfig.class)
        .evaluation();
  }

  static ConfigException refused(String evaluation) {
    try {
      read(evaluation);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("accepted: " + evaluation);
  }

  @Test
  void theDefaultStaysDdimOnTrailingTimestepsAndTheResolvedConfigurationSaysSo() {
    CompareConfig.Evaluation ev = read("");
    assertThat(ev.sampler()).isEqualTo("ddim");
    assertThat(ev.spacing()).isEqualTo("trailing");
    assertThat(ev.eta()).isEqualTo(0.0);
    assertThat(ev.createSampler()).isEqualTo(new DdimSampler(3, Spacing.TRAILING, 0, true));
  }

  @Test
  void everySamplerNameIsAcceptedWithItsDefaultSpacingOrTheOneGiven() {
    assertThat(read(", sampler: dpmpp-2m").spacing()).isEqualTo("logsnr");
    assertThat(read(", sampler: euler").spacing()).isEqualTo("karras");
    assertThat(read(", sampler: ddpm").spacing()).isEqualTo("trailing");
    CompareConfig.Evaluation heun = read(", sampler: HEUN, spacing: linspace");
    assertThat(heun.sampler()).isEqualTo("heun");
    assertThat(heun.eta()).isNull();
    assertThat(heun.createSampler()).isEqualTo(new HeunSampler(3, Spacing.LINSPACE, true));
    CompareConfig.Evaluation ddim = read(", sampler: ddim, eta: 0.5, spacing: leading");
    assertThat(ddim.createSampler()).isEqualTo(new DdimSampler(3, Spacing.LEADING, 0.5, true));
  }

  @Test
  void anUnknownSamplerIsOneLineNamingTheFieldTheValueAndTheAllowedNames() {
    ConfigException e = refused(", sampler: dpm-solver");
    assertThat(e.path()).isEqualTo("evaluation.sampler");
    assertThat(e.getMessage()).doesNotContain("\n").startsWith("cmp.yaml: evaluation.sampler: value dpm-solver is"
        + " not allowed: must be one of ddpm, ddim, euler, heun, dpmpp-2m");
  }

  @Test
  void aBadSpacingOrEtaIsOneLineNamingTheField() {
    ConfigException spacing = refused(", sampler: euler, spacing: cosine");
    assertThat(spacing.getMessage()).doesNotContain("\n").startsWith("cmp.yaml: evaluation.spacing: value cosine is"
        + " not allowed: must be one of trailing, linspace, leading, karras, logsnr");
    ConfigException notDdim = refused(", sampler: euler, eta: 0.5");
    assertThat(notDdim.getMessage()).doesNotContain("\n").startsWith("cmp.yaml: evaluation.eta: value 0.5 is not"
        + " allowed: must be absent: only sampler ddim takes eta, not euler");
    ConfigException range = refused(", eta: 1.5");
    assertThat(range.getMessage()).doesNotContain("\n").startsWith("cmp.yaml: evaluation.eta: value 1.5 is not"
        + " allowed: must be in [0, 1]");
  }
}
