package dev.jdiffusion.pipeline.compare;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.sampling.sampler.InvalidSamplerException;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import dev.jdiffusion.sampling.sampler.Spacing;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.trainer.TrainConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A comparison of loss weightings, as {@code ./diffusion compare} reads it (YAML or JSON):
 *
 * <pre>
 * dataset: {name: fashion-mnist}
 * schedules: [{name: linear}, {name: cosine}]
 * parameterization: {name: eps}
 * weighters: [{name: uniform}, {name: min-snr, gamma: 5}, {name: smoothed-kl, lambda: 0.2}]
 * seeds: [0, 1]
 * model: {preset: unet-xs}
 * training: {steps: 800, batchSize: 32, lr: 1.0e-3}
 * evaluation: {checkpoints: 8, sampler: ddim, samplingSteps: 20, samples: 400, reference: 10000}
 * </pre>
 *
 * Every (schedule, weighter, seed) is one training run with the same model and training settings; the
 * seed seeds initialization, data order, timesteps and noise, and also the sampler: checkpoint {@code step}
 * of a run with seed {@code s} is sampled with the noise seed {@code SplitMix64.derive(s, step)}
 * ({@link dev.jdiffusion.pipeline.Comparison.RunSpec#samplingSeed}), so that at a given seed and step every
 * weighter starts from the same noise, while seeds and checkpoints share none.
 */
public record CompareConfig(
    @JsonProperty(required = true) DatasetConfig dataset,
    @JsonProperty(required = true) List<ScheduleSpec> schedules,
    @JsonProperty(required = true) ParameterizationConfig parameterization,
    @JsonProperty(required = true) List<WeighterSpec> weighters,
    List<Long> seeds,
    TrainConfig.Model model,
    TrainConfig.Training training,
    Evaluation evaluation) {

  public CompareConfig {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(parameterization, "parameterization");
    if (schedules == null || schedules.isEmpty()) {
      throw new InvalidParameterException("schedules", schedules, "a non-empty list of schedules");
    }
    if (weighters == null || weighters.size() < 2) {
      throw new InvalidParameterException("weighters", weighters == null ? null : weighters.size() + " weighter(s)",
          "a list of at least two weighters to compare");
    }
    seeds = seeds == null ? List.of(0L, 1L) : List.copyOf(seeds);
    if (seeds.isEmpty() || seeds.stream().distinct().count() != seeds.size()) {
      throw new InvalidParameterException("seeds", seeds, "a non-empty list of distinct seeds");
    }
    schedules = List.copyOf(schedules);
    weighters = List.copyOf(weighters);
    model = model == null ? TrainConfig.Model.DEFAULT : model;
    training = training == null ? TrainConfig.Training.DEFAULT : training;
    evaluation = evaluation == null ? Evaluation.DEFAULT : evaluation;
    if (training.steps() % evaluation.checkpoints() != 0) {
      throw new InvalidParameterException("evaluation.checkpoints", evaluation.checkpoints(),
          "a divisor of training.steps = " + training.steps() + " (checkpoints are evenly spaced)");
    }
  }

  /** Steps between scored checkpoints. */
  public int checkpointInterval() {
    return training.steps() / evaluation.checkpoints();
  }

  /**
   * How each checkpoint is scored.
   *
   * @param checkpoints how many evenly spaced checkpoints to score, the last one included
   * @param sampler a name {@link Samplers#create} takes: {@code ddpm}, {@code ddim} (the default), {@code euler},
   *     {@code heun} or {@code dpmpp-2m}
   * @param spacing the timestep grid ({@link Spacing}, e.g. {@code trailing} or {@code karras}); when absent,
   *     the sampler's default, which the resolved configuration records
   * @param eta DDIM's stochasticity in [0, 1] (ddim only; resolved to 0 for ddim, absent for the others)
   * @param samplingSteps the sampler's steps per image (network evaluations, except heun: {@code 2 steps - 1})
   * @param samples images sampled per checkpoint
   * @param reference test-split images the samples are compared with
   * @param ema score the EMA weights (else the raw ones)
   */
  public record Evaluation(Integer checkpoints, String sampler, String spacing, Double eta, Integer samplingSteps,
      Integer samples, Integer reference, Boolean ema) {
    public static final Evaluation DEFAULT = new Evaluation(null, null, null, null, null, null, null, null);

    public Evaluation {
      checkpoints = Require.atLeast("checkpoints", checkpoints == null ? 8 : checkpoints, 1);
      samplingSteps = Require.atLeast("samplingSteps", samplingSteps == null ? 25 : samplingSteps, 1);
      sampler = sampler == null ? "ddim" : sampler;
      Spacing grid = null;
      if (spacing != null) {
        try {
          grid = Spacing.parse(spacing);
        } catch (IllegalArgumentException e) {
          throw new InvalidParameterException("spacing", spacing, "one of "
              + Arrays.stream(Spacing.values()).map(Spacing::id).collect(Collectors.joining(", ")));
        }
      }
      Sampler resolved;
      try {
        resolved = Samplers.create(sampler, new SamplerOptions(samplingSteps, grid, eta, null, true));
      } catch (InvalidSamplerException e) {
        throw switch (e.field()) {
          case "sampler" -> new InvalidParameterException("sampler", sampler,
              "one of " + String.join(", ", Samplers.names()));
          case "eta" -> new InvalidParameterException("eta", eta, sampler.equalsIgnoreCase("ddim")
              ? "in [0, 1]" : "absent: only sampler ddim takes eta, not " + sampler);
          default -> e; // steps and variance: checked above, never given
        };
      }
      sampler = resolved.name();
      spacing = resolved.spacing().id();
      eta = sampler.equals("ddim") ? (eta == null ? Double.valueOf(0) : eta) : null;
      samples = Require.atLeast("samples", samples == null ? 500 : samples, 2);
      reference = Require.atLeast("reference", reference == null ? 10_000 : reference, 2);
      ema = ema == null || ema;
    }

    /** A new sampler of these settings (x0 clipped to the pixel range, as {@code ./diffusion sample} does). */
    public Sampler createSampler() {
      return Samplers.create(sampler, new SamplerOptions(samplingSteps, Spacing.parse(spacing), eta, null, true));
    }
  }
}
