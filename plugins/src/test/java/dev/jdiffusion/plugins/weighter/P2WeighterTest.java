package dev.jdiffusion.plugins.weighter;

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
}
