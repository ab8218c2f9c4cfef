package dev.jdiffusion.trainer.unet;

/**
 * The arithmetic in which the current thread's network forward computes its convolutions, linear layers
 * and attention matmuls: PyTorch's {@code torch.autocast} idea reduced to what this network needs. In
 * {@link ComputeType#FP32} (the default) everything is float32. In {@link ComputeType#BF16} or
 * {@link ComputeType#FP16} those three ops cast their inputs and weights to the low precision, compute,
 * and cast their outputs back to float32, inside one TorchScript call each ({@link FusedOps}); group norm,
 * SiLU, softmax, the loss and everything after stay float32. One exception, in bfloat16 on the CPU: a
 * {@link ResidualBlock} whose convolutions take the NCHW route runs as one call ({@link
 * FusedOps#residualBlock}) that keeps its activations between the two convolutions in bfloat16, with group
 * norm computing in float32 on them (libtorch's mixed-type kernel) and the residual sum in float32. The
 * parameters stay float32 ("master weights"): the casts are recorded by autograd ({@code ToCopyBackward0}),
 * so every gradient arrives in float32.
 *
 * <pre>
 * NDArray loss = Autocast.compute(Autocast.ComputeType.BF16, () -> forwardAndLoss());  // mixed precision
 * collector.backward(loss);                                                          // needs no scope
 * </pre>
 *
 * <p>The setting is per thread and scoped, so an inference or export forward outside a scope is the
 * plain float32 network.
 */
public final class Autocast {
  private Autocast() {}

  /** The arithmetic of convolutions, linear layers and attention matmuls. */
  public enum ComputeType {
    /** float32 throughout. */
    FP32(6),
    /** bfloat16 (8-bit exponent, 8-bit significand): float32's range, about 3 significant digits. */
    BF16(15),
    /** IEEE half (5-bit exponent): needs loss scaling, for GPUs without bfloat16. */
    FP16(5);

    private final int scalarType;

    ComputeType(int scalarType) {
      this.scalarType = scalarType;
    }

    /** libtorch's {@code c10::ScalarType} code, as TorchScript source writes a dtype. */
    int scalarType() {
      return scalarType;
    }
  }

  private static final ThreadLocal<ComputeType> CURRENT = ThreadLocal.withInitial(() -> ComputeType.FP32);

  /** The current thread's compute type. */
  public static ComputeType current() {
    return CURRENT.get();
  }

  /** Whether the current thread computes in a low precision. */
  public static boolean mixed() {
    return CURRENT.get() != ComputeType.FP32;
  }

  /** Sets the current thread's compute type until the returned scope is closed (then restores the previous). */
  public static Scope enter(ComputeType type) {
    ComputeType previous = CURRENT.get();
    CURRENT.set(type);
    return new Scope(previous);
  }

  /** {@code work}'s result, computed with {@code type} current on this thread. */
  public static <T> T compute(ComputeType type, java.util.function.Supplier<T> work) {
    ComputeType previous = CURRENT.get();
    CURRENT.set(type);
    try {
      return work.get();
    } finally {
      CURRENT.set(previous);
    }
  }

  /** Restores the compute type that was current before {@link #enter}. */
  public static final class Scope implements AutoCloseable {
    private final ComputeType previous;

    private Scope(ComputeType previous) {
      this.previous = previous;
    }

    @Override
    public void close() {
      CURRENT.set(previous);
    }
  }
}
