package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.WeighterContractTest;

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
}
