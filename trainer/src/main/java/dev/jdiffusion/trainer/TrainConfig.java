package dev.jdiffusion.trainer;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.jdiffusion.core.Limits;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.Require;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A training run as a YAML or JSON file describes it, read with core's {@code ConfigReader} (which knows
 * every plugin's parameter type and names the offending field in its errors):
 *
 * <pre>
 * schedule: {name: cosine, timesteps: 1000}
 * parameterization: {name: eps}
 * weighter: {name: min-snr, gamma: 5}
 * dataset: {name: fashion-mnist}
 * model: {preset: unet-xs}                 # or explicit widths, which override the preset's
 * training: {steps: 20000, batchSize: 64, lr: 2.0e-4, warmupSteps: 500, emaDecay: 0.9999, seed: 0,
 *            precision: fp32}         # or bf16-mixed
 * </pre>
 *
 * Every value of {@code model} and {@code training} has a default; defaults are filled in here, so the
 * resolved config stored in a checkpoint lists every value used.
 */
public record TrainConfig(
    @JsonProperty(required = true) ScheduleSpec schedule,
    @JsonProperty(required = true) ParameterizationConfig parameterization,
    @JsonProperty(required = true) WeighterSpec weighter,
    Optional<DatasetConfig> dataset,
    Model model,
    Training training) {

  public TrainConfig {
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(parameterization, "parameterization");
    Objects.requireNonNull(weighter, "weighter");
    dataset = dataset == null ? Optional.empty() : dataset;
    model = model == null ? Model.DEFAULT : model;
    training = training == null ? Training.DEFAULT : training;
  }

  /** The same run with another step count (the {@code --steps} option). */
  public TrainConfig withSteps(int steps) {
    Training t = training;
    return new TrainConfig(schedule, parameterization, weighter, dataset, model,
        new Training(steps, t.batchSize, t.lr, Math.min(t.warmupSteps, steps), t.beta1, t.beta2,
            t.adamEpsilon, t.weightDecay, t.gradClip, t.emaDecay, t.emaWarmup, t.checkpointEvery,
            t.keepCheckpoints, t.seed, t.logEvery, t.device, t.precision));
  }

  /**
   * The network: a preset ({@link UNetConfig#PRESETS}) and/or explicit values; an explicit value overrides
   * the preset's. Without a preset, {@code baseChannels}, {@code channelMultipliers}, {@code resBlocks} and
   * {@code attentionResolutions} are required.
   */
  public record Model(
      String preset,
      Integer baseChannels,
      List<Integer> channelMultipliers,
      Integer resBlocks,
      List<Integer> attentionResolutions,
      Double dropout) {

    public static final Model DEFAULT = new Model("unet-xs", null, null, null, null, null);

    public Model {
      if (preset != null && !UNetConfig.PRESETS.containsKey(preset)) {
        throw new InvalidParameterException("preset", preset, "one of " + UNetConfig.PRESETS.keySet());
      }
      if (preset == null) {
        for (var e : new Object[][] {{"baseChannels", baseChannels}, {"channelMultipliers", channelMultipliers},
            {"resBlocks", resBlocks}, {"attentionResolutions", attentionResolutions}}) {
          if (e[1] == null) {
            throw new InvalidParameterException((String) e[0], "(missing)",
                "given when no preset is named (presets: " + UNetConfig.PRESETS.keySet() + ")");
          }
        }
      }
      if (baseChannels != null) {
        Require.atLeast("baseChannels", baseChannels, 2);
      }
      if (resBlocks != null) {
        Require.atLeast("resBlocks", resBlocks, 1);
      }
      if (dropout != null && !(dropout >= 0 && dropout < 1)) {
        throw new InvalidParameterException("dropout", dropout, "in [0, 1)");
      }
      channelMultipliers = channelMultipliers == null ? null : List.copyOf(channelMultipliers);
      attentionResolutions = attentionResolutions == null ? null : List.copyOf(attentionResolutions);
    }

    /** The network for images of {@code shape} (which must be square). */
    public UNetConfig resolve(ImageShape shape) {
      if (shape.height() != shape.width()) {
        throw new IllegalArgumentException("the UNet needs square images, the dataset has " + shape);
      }
      UNetConfig base = preset == null ? null : UNetConfig.preset(preset, shape.channels(), shape.height());
      return new UNetConfig(
          shape.channels(),
          shape.height(),
          baseChannels != null ? baseChannels : base.baseChannels(),
          channelMultipliers != null ? channelMultipliers : base.channelMultipliers(),
          resBlocks != null ? resBlocks : base.resBlocks(),
          attentionResolutions != null ? attentionResolutions : base.attentionResolutions(),
          dropout != null ? dropout : base == null ? 0 : base.dropout());
    }
  }

  /**
   * Optimisation and bookkeeping. Defaults follow Ho et al. (2020) where they apply (lr 2e-4, warm-up,
   * gradient clipping at 1, EMA 0.9999) at a CPU-friendly batch of 64.
   *
   * @param steps optimizer updates in total
   * @param batchSize images per update
   * @param lr peak learning rate of AdamW
   * @param warmupSteps linear warm-up from 0 to {@code lr} over this many updates
   * @param beta1 AdamW's first-moment decay
   * @param beta2 AdamW's second-moment decay
   * @param adamEpsilon AdamW's denominator epsilon
   * @param weightDecay AdamW's decoupled weight decay
   * @param gradClip clip the global gradient norm to this value; 0 turns clipping off
   * @param emaDecay decay of the weight average
   * @param emaWarmup use {@code min(emaDecay, (1 + k) / (10 + k))} after {@code k} updates
   * @param checkpointEvery write a checkpoint every this many updates (and at the end)
   * @param keepCheckpoints how many of the newest checkpoints to keep
   * @param seed seeds initialization, data order, timesteps and noise
   * @param logEvery print a progress line every this many updates when there is no terminal
   * @param device {@code auto} (a GPU when the engine has one, else the CPU), {@code cpu}, {@code gpu} or
   *     {@code gpu:N}
   * @param precision {@code fp32} (the default) or {@code bf16-mixed}: convolutions, linear layers and attention
   *     matmuls in bfloat16 with float32 weights, optimizer, EMA, normalization, softmax and loss
   *     ({@link Precision}); on a GPU without bfloat16, float16 with dynamic loss scaling
   */
  public record Training(
      Integer steps,
      Integer batchSize,
      Double lr,
      Integer warmupSteps,
      Double beta1,
      Double beta2,
      Double adamEpsilon,
      Double weightDecay,
      Double gradClip,
      Double emaDecay,
      Boolean emaWarmup,
      Integer checkpointEvery,
      Integer keepCheckpoints,
      Long seed,
      Integer logEvery,
      String device,
      String precision) {

    public static final Training DEFAULT =
        new Training(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null);

    public Training {
      steps = Require.atLeast("steps", or(steps, 10_000), 1);
      batchSize = Require.atLeast("batchSize", or(batchSize, 64), 1);
      if (batchSize > Limits.MAX_BATCH_SIZE) {
        throw new InvalidParameterException("batchSize", batchSize, "<= " + Limits.MAX_BATCH_SIZE);
      }
      lr = Require.positive("lr", or(lr, 2e-4));
      warmupSteps = Require.atLeast("warmupSteps", or(warmupSteps, Math.min(500, steps)), 0);
      beta1 = halfOpen01("beta1", or(beta1, 0.9));
      beta2 = halfOpen01("beta2", or(beta2, 0.999));
      adamEpsilon = Require.positive("adamEpsilon", or(adamEpsilon, 1e-8));
      weightDecay = Require.nonNegative("weightDecay", or(weightDecay, 0.0));
      gradClip = Require.nonNegative("gradClip", or(gradClip, 1.0));
      emaDecay = halfOpen01("emaDecay", or(emaDecay, 0.9999));
      emaWarmup = or(emaWarmup, true);
      checkpointEvery = Require.atLeast("checkpointEvery", or(checkpointEvery, 1000), 1);
      keepCheckpoints = Require.atLeast("keepCheckpoints", or(keepCheckpoints, 2), 1);
      seed = or(seed, 0L);
      logEvery = Require.atLeast("logEvery", or(logEvery, 50), 1);
      device = or(device, "auto");
      if (!device.matches("auto|cpu|gpu(:\\d+)?")) {
        throw new InvalidParameterException("device", device, "auto, cpu, gpu or gpu:N");
      }
      precision = Precision.parse(or(precision, Precision.FP32.id())).id();
    }

    /** The settings before {@code precision} existed, in fp32 (what those runs computed in). */
    public Training(Integer steps, Integer batchSize, Double lr, Integer warmupSteps, Double beta1, Double beta2,
        Double adamEpsilon, Double weightDecay, Double gradClip, Double emaDecay, Boolean emaWarmup,
        Integer checkpointEvery, Integer keepCheckpoints, Long seed, Integer logEvery, String device) {
      this(steps, batchSize, lr, warmupSteps, beta1, beta2, adamEpsilon, weightDecay, gradClip, emaDecay,
          emaWarmup, checkpointEvery, keepCheckpoints, seed, logEvery, device, null);
    }

    /** The same settings with another seed and checkpoint cadence (one run of a comparison). */
    public Training withSeedAndCheckpoints(long newSeed, int every, int keep) {
      return new Training(steps, batchSize, lr, warmupSteps, beta1, beta2, adamEpsilon, weightDecay, gradClip,
          emaDecay, emaWarmup, every, keep, newSeed, logEvery, device, precision);
    }

    /**
     * These values on another device ({@code auto}, {@code cpu} or {@code gpu:N}): what a distributed engine
     * does when its scheduler assigned the run a GPU. The device does not change the trajectory's definition,
     * so a run may resume on another device.
     */
    public Training withDevice(String newDevice) {
      return new Training(steps, batchSize, lr, warmupSteps, beta1, beta2, adamEpsilon, weightDecay, gradClip,
          emaDecay, emaWarmup, checkpointEvery, keepCheckpoints, seed, logEvery, newDevice);
    }

    private static double halfOpen01(String name, double v) {
      if (!(v >= 0 && v < 1)) {
        throw new InvalidParameterException(name, v, "in [0, 1)");
      }
      return v;
    }

    private static <T> T or(T value, T fallback) {
      return value != null ? value : fallback;
    }
  }
}
