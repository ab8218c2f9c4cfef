package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.WeighterContractTest;

/** The built-in UniformWeighter against the weighter contract of the testkit. */
class UniformWeighterTest extends WeighterContractTest<UniformWeighter.Config> {
  @Override
  protected UniformWeighter provider() {
    return new UniformWeighter();
  }
}
