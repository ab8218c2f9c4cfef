package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;

/** The built-in TruncatedSnrWeighter against the weighter contract of the testkit. */
class TruncatedSnrWeighterTest extends WeighterContractTest<TruncatedSnrWeighter.Config> {
  @Override
  protected TruncatedSnrWeighter provider() {
    return new TruncatedSnrWeighter();
  }

  /**
   * Unbounded on the eps-MSE where SNR = 0 ({@code max(1, 1/SNR)}): refused there for eps-prediction;
   * x0- and v-prediction weigh that step in their own space ({@code max(0, 1) = 1}).
   */
  @Override
  protected boolean boundedAtZeroSnr() {
    return false;
  }

  /** Salimans & Ho 2022 (progressive distillation), "truncated SNR" weighting: max(SNR, 1) on the x0-MSE. */
  @Override
  protected List<ReferenceWeight<TruncatedSnrWeighter.Config>> referenceWeights() {
    var c = new TruncatedSnrWeighter.Config();
    return List.of(
        ReferenceWeight.atLogSnr(c, Math.log(4), 4, "max(4, 1)"),
        ReferenceWeight.atLogSnr(c, 0, 1, "max(1, 1)"),
        ReferenceWeight.atLogSnr(c, Math.log(0.25), 1, "max(1/4, 1)"),
        ReferenceWeight.atLogSnr(c, Double.NEGATIVE_INFINITY, 1, "max(0, 1)"));
  }
}
