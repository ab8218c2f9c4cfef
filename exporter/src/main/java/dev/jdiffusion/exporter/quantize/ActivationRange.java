package dev.jdiffusion.exporter.quantize;

/**
 * The range of values a tensor took on the calibration inputs, and the uint8 quantization of the ONNX
 * {@code QuantizeLinear} operator that covers it: {@code q = saturate(round(x / scale) + zeroPoint)} with
 * {@code scale = (max' - min') / 255}, where the range is first widened to hold 0 ({@code min' = min(min, 0)},
 * {@code max' = max(max, 0)}) so that 0, which the convolutions' zero padding adds, is exactly representable.
 *
 * @param min the smallest value seen
 * @param max the largest value seen
 */
public record ActivationRange(double min, double max) {
  public ActivationRange {
    if (!(Double.isFinite(min) && Double.isFinite(max) && min <= max)) {
      throw new IllegalArgumentException("activation range [" + min + ", " + max + "] is not allowed: finite,"
          + " with min <= max (a non-finite value reached a convolution during calibration)");
    }
  }

  /** The range holding both. */
  public ActivationRange union(ActivationRange o) {
    return new ActivationRange(Math.min(min, o.min), Math.max(max, o.max));
  }

  /** The uint8 step: {@code (max' - min') / 255}, or 1 for a tensor that was always 0. */
  public float scale() {
    double lo = Math.min(min, 0);
    double hi = Math.max(max, 0);
    return hi > lo ? (float) ((hi - lo) / 255) : 1f;
  }

  /** The uint8 value that stands for 0: {@code round(-min' / scale)}, in 0 .. 255. */
  public int zeroPoint() {
    double lo = Math.min(min, 0);
    return (int) Math.max(0, Math.min(255, Math.round(-lo / scale())));
  }
}
