package dev.jdiffusion.trainer;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.trainer.unet.Autocast;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * {@code training.precision}: the arithmetic of training.
 *
 * <ul>
 *   <li>{@link #FP32}: float32 throughout (the default).
 *   <li>{@link #BF16_MIXED}: mixed precision in the sense of Micikevicius et al. (2018), "Mixed Precision
 *       Training": float32 master weights, AdamW state, EMA, loss weights and loss; convolutions, linear layers
 *       and attention matmuls computed in bfloat16 ({@link Autocast}); group norm, SiLU and softmax in float32.
 *       Checkpoints and exported models are float32. bfloat16 keeps float32's exponent range, so no loss
 *       scaling is needed. On a CUDA GPU without bfloat16 arithmetic (compute capability below 8.0) the same
 *       setting computes in float16 with dynamic loss scaling ({@link LossScaler}) instead.
 * </ul>
 */
public enum Precision {
  FP32("fp32"),
  BF16_MIXED("bf16-mixed");

  private final String id;

  Precision(String id) {
    this.id = id;
  }

  /** The value as a configuration writes it. */
  public String id() {
    return id;
  }

  /** The precision a configuration names, or {@code InvalidParameterException} naming {@code precision}. */
  public static Precision parse(String value) {
    for (Precision p : values()) {
      if (p.id.equals(value)) {
        return p;
      }
    }
    throw new InvalidParameterException("precision", value,
        Arrays.stream(values()).map(Precision::id).collect(Collectors.joining(" or ")));
  }

  /**
   * The compute type of this precision on {@code device}: float32 for {@link #FP32}; for {@link #BF16_MIXED}
   * bfloat16 on a CPU and on a GPU of compute capability 8.0 or newer (Ampere; read through DJL's
   * {@link CudaUtils#getComputeCapability}), float16 on an older GPU.
   */
  public Autocast.ComputeType computeType(Device device) {
    if (this == FP32) {
      return Autocast.ComputeType.FP32;
    }
    if (!device.isGpu()) {
      return Autocast.ComputeType.BF16;
    }
    return computeTypeForCapability(CudaUtils.getComputeCapability(device.getDeviceId()));
  }

  /**
   * The compute type of {@link #BF16_MIXED} on a CUDA GPU of {@code capability} as CUDA writes it without the
   * dot ({@code "75"} for 7.5, {@code "86"}, {@code "90"}): bfloat16 from 8.0 on, float16 before.
   */
  static Autocast.ComputeType computeTypeForCapability(String capability) {
    int major = Integer.parseInt(capability.substring(0, capability.length() - 1));
    return major >= 8 ? Autocast.ComputeType.BF16 : Autocast.ComputeType.FP16;
  }
}
