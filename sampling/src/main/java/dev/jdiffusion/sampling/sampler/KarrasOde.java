package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import java.util.function.IntConsumer;

/** The Euler and Heun loops of Karras et al. 2022, algorithm 1, on a VP model's table. */
final class KarrasOde {
  private KarrasOde() {}

  static float[] solve(Denoiser model, Noise noise, long firstImage, int n, IntConsumer onStep, int[] ts,
      boolean clip, boolean heun) throws OrtException {
    Chain c = new Chain(model, noise, firstImage, n, clip, onStep);
    double[] x = c.start();                  // the VP state x_t = sqrt(ab) x~
    double[] x0 = new double[c.length];
    double[] d = new double[c.length];
    double[] tilde = new double[c.length];    // x~_i
    double[] next = new double[c.length];     // x~_(i+1)
    double[] predicted = heun ? new double[c.length] : null;
    double[] x0b = heun ? new double[c.length] : null;
    double[] d2 = heun ? new double[c.length] : null;
    for (int k = 0; k < ts.length; k++) {
      boolean last = k + 1 == ts.length;
      double ab = c.alphabar[ts[k]];
      double abNext = last ? 1 : c.alphabar[ts[k + 1]];
      double sigma = Math.sqrt((1 - ab) / ab);          // +infinity at zero terminal SNR
      double sigmaNext = last ? 0 : Math.sqrt((1 - abNext) / abNext);
      double h = sigmaNext - sigma;
      double rootAb = Math.sqrt(ab);
      double rootNext = Math.sqrt(abNext);
      boolean infinite = Double.isInfinite(sigma);
      c.evaluate(x, ts[k], x0, d);
      for (int i = 0; i < c.length; i++) {
        if (infinite) {
          next[i] = x0[i] + sigmaNext * d[i];
        } else {
          tilde[i] = x[i] / rootAb;
          next[i] = tilde[i] + h * d[i];
        }
      }
      if (heun && !last && !infinite) {
        for (int i = 0; i < c.length; i++) {
          predicted[i] = rootNext * next[i];
        }
        c.evaluate(predicted, ts[k + 1], x0b, d2);
        for (int i = 0; i < c.length; i++) {
          next[i] = tilde[i] + h * 0.5 * (d[i] + d2[i]);
        }
      }
      for (int i = 0; i < c.length; i++) {
        x[i] = rootNext * next[i];
      }
    }
    return Chain.toFloats(x);
  }
}
