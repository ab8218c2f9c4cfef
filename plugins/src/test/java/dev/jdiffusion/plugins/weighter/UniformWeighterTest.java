package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;

/** The built-in UniformWeighter against the weighter contract of the testkit. */
class UniformWeighterTest extends WeighterContractTest<UniformWeighter.Config> {
  @Override
  protected UniformWeighter provider() {
    return new UniformWeighter();
  }

  /** Ho et al. 2020, L_simple (eq. 14): the unweighted eps-MSE, weight 1 at every log-SNR. */
  @Override
  protected List<ReferenceWeight<UniformWeighter.Config>> referenceWeights() {
    var c = new UniformWeighter.Config();
    return List.of(
        ReferenceWeight.atLogSnr(c, 10, 1, "L_simple"),
        ReferenceWeight.atLogSnr(c, 0, 1, "L_simple"),
        ReferenceWeight.atLogSnr(c, -10, 1, "L_simple"),
        ReferenceWeight.atLogSnr(c, Double.NEGATIVE_INFINITY, 1, "L_simple at SNR = 0"));
  }
}
