package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.WeighterContractTest;

/** The built-in TruncatedSnrWeighter against the weighter contract of the testkit. */
class TruncatedSnrWeighterTest extends WeighterContractTest<TruncatedSnrWeighter.Config> {
  @Override
  protected TruncatedSnrWeighter provider() {
    return new TruncatedSnrWeighter();
  }

  /** Unbounded where SNR = 0: the framework refuses zero-terminal-SNR schedules for it. */
  @Override
  protected boolean boundedAtZeroSnr() {
    return false;
  }
}
