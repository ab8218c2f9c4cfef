package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;

/** The built-in InverseSnrWeighter against the weighter contract of the testkit. */
class InverseSnrWeighterTest extends WeighterContractTest<InverseSnrWeighter.Config> {
  @Override
  protected InverseSnrWeighter provider() {
    return new InverseSnrWeighter();
  }

  /** Unbounded where SNR = 0: the framework refuses zero-terminal-SNR schedules for it. */
  @Override
  protected boolean boundedAtZeroSnr() {
    return false;
  }

  /** The textbook inverse-SNR weighting: 1/SNR on the x0-MSE. */
  @Override
  protected List<ReferenceWeight<InverseSnrWeighter.Config>> referenceWeights() {
    var c = new InverseSnrWeighter.Config();
    return List.of(
        ReferenceWeight.atLogSnr(c, Math.log(4), 0.25, "1/SNR at SNR = 4"),
        ReferenceWeight.atLogSnr(c, 0, 1, "1/SNR at SNR = 1"),
        ReferenceWeight.atLogSnr(c, Math.log(0.5), 2, "1/SNR at SNR = 1/2"));
  }
}
