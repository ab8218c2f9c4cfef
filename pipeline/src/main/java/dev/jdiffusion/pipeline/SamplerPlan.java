package dev.jdiffusion.pipeline;

import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;

/**
 * Checks, before anything is trained, that a sampler's grid can be formed on the models a schedule will give,
 * and counts its network evaluations per image there: both read only the schedule's alphabar table (and the
 * parameterization's estimate tables), which training does not change.
 */
final class SamplerPlan {
  private SamplerPlan() {}

  /**
   * Network evaluations per image of {@code sampler} on a model trained on {@code schedule}.
   *
   * @param where how the error names the setting, e.g. {@code cmp.yaml: evaluation}
   * @throws PipelineException when the sampler's grid cannot be formed on this schedule (e.g. a sigma grid at
   *     zero terminal SNR): {@code where}, then the reason, which names the spacing
   */
  static int evaluations(Sampler sampler, NoiseSchedule schedule, Parameterization parameterization, String where) {
    // The metadata an exported model of this schedule carries, but for what sampling does not read.
    ModelMetadata model = new ModelMetadata("", "", schedule.alphabars(),
        ModelMetadata.coefficientTables(schedule, parameterization), "{}", new ImageShape(1, 1, 1), -1, 1, "{}",
        "{}", 0, "");
    try {
      return sampler.evaluations(model);
    } catch (IllegalArgumentException e) {
      throw new PipelineException(where + ": " + e.getMessage(), e);
    }
  }
}
