package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.WeighterContractTest;

/** The built-in InverseSnrWeighter against the weighter contract of the testkit. */
class InverseSnrWeighterTest extends WeighterContractTest<InverseSnrWeighter.Config> {
  @Override
  protected InverseSnrWeighter provider() {
    return new InverseSnrWeighter();
  }

  /** Unbounded where SNR = 0: the framework refuses zero-terminal-SNR schedules for it. */
  @Override
  protected boolean boundedAtZeroSnr() {
    return false;
  }
}
