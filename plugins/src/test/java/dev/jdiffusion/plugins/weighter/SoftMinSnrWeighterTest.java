package dev.jdiffusion.plugins.weighter;

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
}
