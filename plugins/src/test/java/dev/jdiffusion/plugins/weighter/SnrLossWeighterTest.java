package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;

/** The built-in SnrLossWeighter against the weighter contract of the testkit. */
class SnrLossWeighterTest extends WeighterContractTest<SnrLossWeighter.Config> {
  @Override
  protected SnrLossWeighter provider() {
    return new SnrLossWeighter();
  }

  /** The textbook SNR weighting: SNR on the x0-MSE. */
  @Override
  protected List<ReferenceWeight<SnrLossWeighter.Config>> referenceWeights() {
    var c = new SnrLossWeighter.Config();
    return List.of(
        ReferenceWeight.atLogSnr(c, Math.log(4), 4, "SNR = 4"),
        ReferenceWeight.atLogSnr(c, 0, 1, "SNR = 1"),
        ReferenceWeight.atLogSnr(c, Math.log(0.5), 0.5, "SNR = 1/2"),
        ReferenceWeight.atLogSnr(c, Double.NEGATIVE_INFINITY, 0, "SNR = 0"));
  }
}
