package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;

/** The built-in MinSnrWeighter against the weighter contract of the testkit. */
class MinSnrWeighterTest extends WeighterContractTest<MinSnrWeighter.Config> {
  @Override
  protected MinSnrWeighter provider() {
    return new MinSnrWeighter();
  }

  @Override
  protected List<MinSnrWeighter.Config> configs() {
    return List.of(
        new MinSnrWeighter.Config(5),
        new MinSnrWeighter.Config(1),
        new MinSnrWeighter.Config(0.01),
        new MinSnrWeighter.Config(1e6));
  }

  /** Hang et al. 2023, Min-SNR-gamma: min(SNR, gamma) on the x0-MSE (gamma = 5 in the paper). */
  @Override
  protected List<ReferenceWeight<MinSnrWeighter.Config>> referenceWeights() {
    var gamma5 = new MinSnrWeighter.Config(5);
    var gamma1 = new MinSnrWeighter.Config(1);
    return List.of(
        ReferenceWeight.atLogSnr(gamma5, Math.log(10), 5, "min(10, 5)"),
        ReferenceWeight.atLogSnr(gamma5, Math.log(2), 2, "min(2, 5)"),
        ReferenceWeight.atLogSnr(gamma5, Math.log(0.25), 0.25, "min(1/4, 5)"),
        ReferenceWeight.atLogSnr(gamma5, Double.NEGATIVE_INFINITY, 0, "min(0, 5)"),
        ReferenceWeight.atLogSnr(gamma1, Math.log(3), 1, "min(3, 1)"));
  }
}
