package dev.jdiffusion.trainer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.core.data.Batch;
import dev.jdiffusion.core.data.BatchLoader;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.trainer.unet.Autocast;
import dev.jdiffusion.trainer.unet.FusedOps;
import dev.jdiffusion.trainer.unet.Ops;
import dev.jdiffusion.trainer.unet.UNet;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * The state of a training run and its update step: the network, AdamW, the EMA of the weights, the
 * objective, the data order and the step counter. {@link TrainingRun} adds files, checkpoints and
 * progress around it.
 *
 * <p>Step {@code k} (counted from 0) takes batch {@code k} of core's {@link BatchLoader} (a seeded
 * permutation per epoch, with the dataset's random flips) and draws its timesteps (uniform in
 * {@code 0 .. T-1}) and Gaussian noise from {@link StepRandom} streams keyed by {@code (seed, k)}. It then computes the {@link WeightedDenoisingLoss}, back-propagates,
 * checks that the loss and the global gradient norm are finite (else it throws
 * {@link NonFiniteLossException} and changes nothing), clips the gradient to {@code gradClip} in global
 * norm (Pascanu et al. 2013), applies AdamW at the warmed-up learning rate, updates the EMA and clears the
 * gradients. On the CPU the same seed gives the same losses, bit for bit, with or without a resume.
 *
 * <p>With {@code training.precision: bf16-mixed} the forward runs in an {@link Autocast} scope
 * ({@link Precision}); everything from the loss on (backward's float32 gradients, clipping, AdamW, EMA) is
 * the same float32 code. In float16 (a GPU without bfloat16) a {@link LossScaler} scales the loss and skips
 * updates whose gradients overflowed.
 */
public final class DiffusionTrainer implements AutoCloseable {
  private static final NDIndex ALL = new NDIndex("...");

  private final TrainConfig.Training options;
  private final BatchLoader loader;
  private final ImageShape shape;
  private final WeightedDenoisingLoss objective;
  private final NDManager manager;
  private final UNet net;
  private final ParameterStore parameterStore;
  private final List<String> parameterNames = new ArrayList<>();
  private final List<NDArray> parameters = new ArrayList<>();
  private final AdamW optimizer;
  private final Ema ema;
  private final Autocast.ComputeType computeType;
  private LossScaler scaler;
  private long step;
  private Iterator<Batch> batches;

  /**
   * A fresh run: initializes the network from the seed.
   *
   * @param network the network's shape (its image shape must match the dataset's)
   */
  public DiffusionTrainer(UNetConfig network, TrainConfig.Training options, WeightedDenoisingLoss objective,
      DatasetSource data, Device device) {
    this(network, options, objective, data, device,
        Precision.parse(options.precision()).computeType(device));
  }

  /**
   * A fresh run whose forward computes in {@code computeType} (what {@code training.precision} resolves to on
   * the device, {@link Precision#computeType}); float16 adds dynamic loss scaling. Tests use it to run the
   * float16 path on a CPU.
   */
  DiffusionTrainer(UNetConfig network, TrainConfig.Training options, WeightedDenoisingLoss objective,
      DatasetSource data, Device device, Autocast.ComputeType computeType) {
    this.options = options;
    this.computeType = computeType;
    this.scaler = computeType == Autocast.ComputeType.FP16 ? LossScaler.dynamic() : LossScaler.none();
    this.shape = data.shape();
    this.objective = objective;
    if (network.imageChannels() != shape.channels() || network.imageSize() != shape.height()
        || network.imageSize() != shape.width()) {
      throw new IllegalArgumentException("the network is for " + network.imageChannels() + "x"
          + network.imageSize() + "x" + network.imageSize() + " images but the dataset has " + shape);
    }
    if (data.size() < options.batchSize()) {
      throw new IllegalArgumentException("the dataset has " + data.size()
          + " images, fewer than one batch (training.batchSize = " + options.batchSize() + ")");
    }
    this.loader = BatchLoader.builder(data).setBatchSize(options.batchSize()).optSeed(options.seed()).build();
    this.batches = loader.batches(0);
    Engine engine = Engines.pytorch();
    this.manager = engine.newBaseManager(device);
    this.net = new UNet(network);
    // Seeded draws from libtorch's one generator, which other runs in this JVM may be seeding too.
    Engines.seeded((int) (options.seed() ^ (options.seed() >>> 32)), () -> net.initialize(manager,
        DataType.FLOAT32, new Shape(options.batchSize(), shape.channels(), shape.height(), shape.width()),
        new Shape(options.batchSize())));
    for (var pair : net.getParameters()) {
      Parameter p = pair.getValue();
      NDArray array = p.getArray();
      array.setRequiresGradient(true);
      parameterNames.add(pair.getKey());
      parameters.add(array);
    }
    this.parameterStore = new ParameterStore(manager, false);
    this.optimizer = new AdamW(manager, parameters, options.beta1(), options.beta2(), options.adamEpsilon(),
        options.weightDecay());
    this.ema = new Ema(manager, parameters, options.emaDecay(), options.emaWarmup());
  }

  /** The arithmetic of the forward's convolutions, linear layers and attention matmuls. */
  public Autocast.ComputeType computeType() {
    return computeType;
  }

  /** The loss scaler ({@link LossScaler#none()} unless the compute type is float16). */
  LossScaler lossScaler() {
    return scaler;
  }

  /** Replaces the loss scaler (tests start float16 runs at chosen scales). */
  void lossScaler(LossScaler replacement) {
    this.scaler = replacement;
  }

  public UNet network() {
    return net;
  }

  public TrainConfig.Training options() {
    return options;
  }

  /** Updates done so far. */
  public long completedSteps() {
    return step;
  }

  /** Parameter names in the order of {@link #parameters()}, {@link #emaWeights()} and the optimizer state. */
  public List<String> parameterNames() {
    return List.copyOf(parameterNames);
  }

  /** The live weights. */
  public NDList parameters() {
    return new NDList(parameters);
  }

  /** The averaged weights (what an exporter or sampler should use). */
  public NDList emaWeights() {
    return ema.weights();
  }

  AdamW optimizer() {
    return optimizer;
  }

  Ema ema() {
    return ema;
  }

  /** The learning rate of step {@code k} (0-based): linear warm-up, then constant (Goyal et al. 2017). */
  public double learningRate(long k) {
    int warmup = options.warmupSteps();
    return warmup == 0 ? options.lr() : options.lr() * Math.min(1.0, (k + 1.0) / warmup);
  }

  /**
   * One update.
   *
   * @throws NonFiniteLossException when the loss or gradient is NaN or infinite; nothing is updated
   */
  public StepResult trainStep() {
    long k = step;
    int batch = options.batchSize();
    int size = shape.size();
    float[] images = batches.next().pixels();
    StepRandom tRandom = StepRandom.of(options.seed(), k, StepRandom.Purpose.TIMESTEPS);
    int[] t = new int[batch];
    for (int i = 0; i < batch; i++) {
      t[i] = tRandom.nextInt(objective.timesteps());
    }
    float[] noise = new float[batch * size];
    StepRandom.of(options.seed(), k, StepRandom.Purpose.NOISE).fillGaussian(noise);
    Shape batchShape = new Shape(batch, shape.channels(), shape.height(), shape.width());
    double lr = learningRate(k);
    try (NDManager stepManager = manager.newSubManager()) {
      NDArray x0 = stepManager.create(images, batchShape);
      NDArray eps = stepManager.create(noise, batchShape);
      float loss;
      double meanWeight;
      double lossScale = scaler.scale();
      // DJL's own collector allows one at a time per process; runs in other threads may be training too.
      try (GradientCollector collector = new ThreadGradientCollector()) {
        WeightedDenoisingLoss.Result r =
            Autocast.compute(computeType, () -> objective.compute(net, parameterStore, x0, t, eps, true));
        // the loss is float32 in every precision; float16 scales it so that small gradients survive
        collector.backward(scaler.isDynamic() ? r.loss().mul(Ops.constant(r.loss(), (float) lossScale)) : r.loss());
        loss = r.loss().getFloat();
        meanWeight = r.meanWeight();
      }
      double gradNorm;
      boolean skipped = false;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        List<NDArray> grads = new ArrayList<>(parameters.size());
        for (NDArray p : parameters) {
          grads.add(p.getGradient());
        }
        gradNorm = globalNorm(grads) / lossScale;
        boolean apply = Float.isFinite(loss) && scaler.update(Double.isFinite(gradNorm));
        if (!apply) {
          for (NDArray g : grads) {
            g.set(ALL, 0); // a fill, not g - g: that leaves NaN where an overflow left infinities
          }
          if (!Float.isFinite(loss) || !scaler.isDynamic()) {
            throw new NonFiniteLossException(k + 1, "step " + (k + 1) + ": the "
                + (!Float.isFinite(loss) ? "loss is " + loss : "gradient norm is " + gradNorm)
                + " (learning rate " + lr + "); stopped without applying the update");
          }
          skipped = true; // float16 overflow at this loss scale: the scaler halved it; no update
        } else {
          double clip = options.gradClip();
          double scale = clip > 0 && gradNorm > clip ? clip / (gradNorm + 1e-6) : 1.0;
          optimizer.update(parameters, grads, lr, scale / lossScale); // also sets the gradients to zero
          ema.update(parameters);
        }
      }
      step++;
      return new StepResult(step, loss, meanWeight, lr, skipped ? Double.NaN : gradNorm, skipped);
    }
  }

  /**
   * The Euclidean norm of all {@code arrays} taken together, {@code sqrt(sum_i ||a_i||^2)}, as the norm
   * of the per-array norms (PyTorch's {@code clip_grad_norm_} does the same): in one call into libtorch where
   * it compiles TorchScript ({@link FusedOps#globalNorm}), else one kernel per array.
   */
  static double globalNorm(List<NDArray> arrays) {
    return globalNorm(arrays, true);
  }

  /** {@link #globalNorm(List)}; {@code fused = false} keeps to one kernel per array. */
  static double globalNorm(List<NDArray> arrays, boolean fused) {
    if (fused && FusedOps.optimizerKernelsAvailable(arrays.get(0))) {
      return FusedOps.globalNorm(arrays);
    }
    NDList norms = new NDList(arrays.size());
    for (NDArray a : arrays) {
      norms.add(a.norm());
    }
    return NDArrays.stack(norms).norm().getFloat();
  }

  /** Restores a checkpoint's state into this (freshly built) trainer. */
  void restore(long completedSteps, NDList weights, NDList emaWeights, long emaUpdates, NDList adamState,
      long adamUpdates, Optional<LossScaler.State> lossScale) {
    if (weights.size() != parameters.size()) {
      throw new IllegalArgumentException(
          "checkpoint has " + weights.size() + " weights, the network has " + parameters.size());
    }
    for (int i = 0; i < parameters.size(); i++) {
      AdamW.copyInto(weights.get(i), parameters.get(i), "weight " + parameterNames.get(i));
    }
    ema.restore(emaWeights, emaUpdates);
    optimizer.restore(adamState, adamUpdates);
    // a float16 run goes on at its recorded loss scale; a checkpoint of another compute type (bfloat16 or
    // float32, or float16 resumed where bfloat16 is available) has none to restore or needs none
    if (scaler.isDynamic()) {
      lossScale.ifPresent(scaler::restore);
    }
    this.step = completedSteps;
    this.batches = loader.batches(completedSteps);
  }

  @Override
  public void close() {
    optimizer.close();
    ema.close();
    manager.close();
  }

  /**
   * What one update did.
   *
   * @param step the number of updates done, this one included
   * @param loss the weighted loss of the batch
   * @param meanWeight the batch's mean loss-space weight
   * @param lr the learning rate applied
   * @param gradNorm the global gradient norm before clipping (NaN for a skipped step)
   * @param skipped whether the update was skipped because float16 gradients overflowed at the current loss
   *     scale ({@link LossScaler}; only in float16 mixed precision)
   */
  public record StepResult(long step, double loss, double meanWeight, double lr, double gradNorm,
      boolean skipped) {}
}
