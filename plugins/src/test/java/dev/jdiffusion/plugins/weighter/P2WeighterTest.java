package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;

/** The built-in P2Weighter against the weighter contract of the testkit. */
class P2WeighterTest extends WeighterContractTest<P2Weighter.Config> {
  @Override
  protected P2Weighter provider() {
    return new P2Weighter();
  }

  @Override
  protected List<P2Weighter.Config> configs() {
    return List.of(
        new P2Weighter.Config(1, 1),
        new P2Weighter.Config(0.5, 0.5),
        new P2Weighter.Config(0.001, 2));
  }

  /** Choi et al. 2022, perception-prioritized weighting: 1/(k + SNR)^gamma on the eps-MSE. */
  @Override
  protected List<ReferenceWeight<P2Weighter.Config>> referenceWeights() {
    var k1gamma1 = new P2Weighter.Config(1, 1);
    return List.of(
        ReferenceWeight.atLogSnr(k1gamma1, 0, 0.5, "1/(1 + 1)"),
        ReferenceWeight.atLogSnr(k1gamma1, Math.log(3), 0.25, "1/(1 + 3)"),
        ReferenceWeight.atLogSnr(k1gamma1, Double.NEGATIVE_INFINITY, 1, "1/(1 + 0)"),
        ReferenceWeight.atLogSnr(new P2Weighter.Config(0.5, 0.5), Math.log(1.5), Math.sqrt(0.5),
            "1/(1/2 + 3/2)^(1/2)"));
  }
}
