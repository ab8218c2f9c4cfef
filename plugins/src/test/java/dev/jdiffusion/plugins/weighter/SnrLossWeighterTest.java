package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.WeighterContractTest;

/** The built-in SnrLossWeighter against the weighter contract of the testkit. */
class SnrLossWeighterTest extends WeighterContractTest<SnrLossWeighter.Config> {
  @Override
  protected SnrLossWeighter provider() {
    return new SnrLossWeighter();
  }
}
