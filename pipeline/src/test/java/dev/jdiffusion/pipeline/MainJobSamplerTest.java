package dev.jdiffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.sampling.sampler.DdimSampler;
import dev.jdiffusion.sampling.sampler.DdpmSampler;
import dev.jdiffusion.sampling.sampler.HeunSampler;
import dev.jdiffusion.sampling.sampler.Spacing;
import dev.jdiffusion.trainer.TrainConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The sampler {@code ./diffusion run} chooses when none, or no step count, is given. */
class MainJobSamplerTest {
  static MainJob.Options.Builder options() throws Exception {
    TrainConfig config = Environment.load().reader().readYaml("train.yaml", """
        schedule: {name: cosine, timesteps: 1000}
        parameterization: {name: eps}
        weighter: {name: uniform}
        dataset: {name: synthetic, count: 16, size: 8}
        training: {steps: 4, batchSize: 4}
        """, TrainConfig.class);
    return MainJob.Options.builder(config, Path.of("out"));
  }

  @Test
  void withoutASamplerRunTakesDdpmForTwentyFiveEvaluationsAndDdimForTenOrFewer() throws Exception {
    MainJob.Options run = options().build();
    assertThat(run.sampler()).isEqualTo("ddpm");
    assertThat(run.samplingSteps()).isEqualTo(25);
    assertThat(run.spacing()).isEqualTo(Spacing.TRAILING);
    assertThat(run.createSampler()).isInstanceOf(DdpmSampler.class);
    assertThat(run.createSampler().steps(1000)).isEqualTo(25);
    assertThat(options().evaluations(10).build().createSampler())
        .isEqualTo(new DdimSampler(10, Spacing.TRAILING, 0, true));
    assertThat(MainJob.defaultSampler(11)).isEqualTo("ddpm");
    assertThat(MainJob.defaultSampler(10)).isEqualTo("ddim");
    assertThat(MainJob.defaultSampler(1)).isEqualTo("ddim");
  }

  @Test
  void aNamedSamplerGetsTheStepsOfTheBudgetAndGivenStepsWin() throws Exception {
    // Heun evaluates twice per step but once on the last: 13 steps are 25 evaluations, 10 are 19
    assertThat(MainJob.stepsFor("heun", 25)).isEqualTo(13);
    assertThat(new HeunSampler(13, Spacing.KARRAS, true).steps(1000)).isEqualTo(25);
    assertThat(MainJob.stepsFor("Heun", 20)).isEqualTo(10);
    assertThat(new HeunSampler(10, Spacing.KARRAS, true).steps(1000)).isEqualTo(19);
    assertThat(MainJob.stepsFor("heun", 1)).isEqualTo(1);
    assertThat(MainJob.stepsFor("ddim", 25)).isEqualTo(25);
    assertThat(options().sampler("DDIM").build().createSampler())
        .isEqualTo(new DdimSampler(25, Spacing.TRAILING, 0, true));
    assertThat(options().sampler("heun").evaluations(10).build().createSampler())
        .isEqualTo(new HeunSampler(5, Spacing.KARRAS, true));
    assertThat(options().samplingSteps(7).build().samplingSteps()).isEqualTo(7);
    MainJob.Options ddpm = options().spacing(Spacing.LEADING).samplingSteps(4).build();
    assertThat(ddpm.sampler()).isEqualTo("ddpm");
    assertThat(ddpm.createSampler().spacing()).isEqualTo(Spacing.LEADING);
    assertThat(ddpm.createSampler().steps(1000)).isEqualTo(4);
  }

  @Test
  void badCountsAndNamesAreRefusedWhenBuilt() throws Exception {
    assertThatThrownBy(() -> options().samplingSteps(0).build()).hasMessage("samplingSteps: 0 is not >= 1");
    assertThatThrownBy(() -> options().evaluations(0).build()).hasMessage("evaluations: 0 is not >= 1");
    assertThatThrownBy(() -> options().sampler("dpm-solver").build()).hasMessageContaining("'dpm-solver'");
  }
}
