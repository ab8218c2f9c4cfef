package dev.jdiffusion.plugins.weighter;

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
}
