package dev.jdiffusion.plugins.weighter;

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
}
