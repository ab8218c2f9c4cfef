package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;
import java.util.Map;

/** The built-in SoftMinSnrWeighter against the weighter contract of the testkit. */
class SoftMinSnrWeighterTest extends WeighterContractTest<SoftMinSnrWeighter.Config> {
  @Override
  protected SoftMinSnrWeighter provider() {
    return new SoftMinSnrWeighter();
  }

  @Override
  protected Map<String, Object> requiredParameters() {
    return Map.of("gamma", 5);
  }

  @Override
  protected List<SoftMinSnrWeighter.Config> configs() {
    return List.of(
        new SoftMinSnrWeighter.Config(5),
        new SoftMinSnrWeighter.Config(0.01),
        new SoftMinSnrWeighter.Config(1e6));
  }

  /** Crowson et al. 2024 (Hourglass Diffusion Transformers), soft-min-SNR: (1/SNR + 1/gamma)^-1 on the x0-MSE. */
  @Override
  protected List<ReferenceWeight<SoftMinSnrWeighter.Config>> referenceWeights() {
    var gamma5 = new SoftMinSnrWeighter.Config(5);
    return List.of(
        ReferenceWeight.atLogSnr(gamma5, Math.log(5), 2.5, "(1/5 + 1/5)^-1"),
        ReferenceWeight.atLogSnr(gamma5, 0, 5.0 / 6, "(1 + 1/5)^-1"),
        ReferenceWeight.atLogSnr(gamma5, Math.log(20), 4, "(1/20 + 1/5)^-1"),
        ReferenceWeight.atLogSnr(new SoftMinSnrWeighter.Config(0.01), 0, 1.0 / 101, "(1 + 100)^-1"));
  }
}
