package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.WeighterContractTest;

/** The built-in VlbWeighter against the weighter contract of the testkit. */
class VlbWeighterTest extends WeighterContractTest<VlbWeighter.Config> {
  @Override
  protected VlbWeighter provider() {
    return new VlbWeighter();
  }

  /** Unbounded where SNR = 0: the framework refuses zero-terminal-SNR schedules for it. */
  @Override
  protected boolean boundedAtZeroSnr() {
    return false;
  }
}
