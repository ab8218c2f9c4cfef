package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;
import java.util.Map;

/** The built-in SmoothedKlWeighter against the weighter contract of the testkit. */
class SmoothedKlWeighterTest extends WeighterContractTest<SmoothedKlWeighter.Config> {
  @Override
  protected SmoothedKlWeighter provider() {
    return new SmoothedKlWeighter();
  }

  @Override
  protected Map<String, Object> requiredParameters() {
    return Map.of("lambda", 0.2);
  }

  @Override
  protected List<SmoothedKlWeighter.Config> configs() {
    return List.of(
        new SmoothedKlWeighter.Config(0.2),
        new SmoothedKlWeighter.Config(1e-4),
        new SmoothedKlWeighter.Config(1e4));
  }

  /**
   * The 2026 smoothed-KL paper: sigma^2/(sigma^2 + lambda) on the eps-MSE, sigma^2 = 1 - alphabar = 1/(1 + SNR).
   */
  @Override
  protected List<ReferenceWeight<SmoothedKlWeighter.Config>> referenceWeights() {
    var lambda02 = new SmoothedKlWeighter.Config(0.2);
    return List.of(
        ReferenceWeight.atLogSnr(lambda02, 0, 5.0 / 7, "sigma^2 = 1/2: 0.5/0.7"),
        ReferenceWeight.atLogSnr(lambda02, Math.log(4), 0.5, "sigma^2 = 1/5: 0.2/0.4"),
        ReferenceWeight.atLogSnr(lambda02, Double.NEGATIVE_INFINITY, 5.0 / 6, "sigma^2 = 1: 1/1.2"),
        ReferenceWeight.atLogSnr(new SmoothedKlWeighter.Config(1), Math.log(3), 0.2, "sigma^2 = 1/4: 0.25/1.25"));
  }
}
