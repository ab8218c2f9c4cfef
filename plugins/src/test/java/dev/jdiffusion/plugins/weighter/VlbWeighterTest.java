package dev.jdiffusion.plugins.weighter;

import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;

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

  /**
   * Ho et al. 2020, the bound's term L_(t-1) on the eps-MSE (eq. 12): beta_t^2 / (2 sigma_t^2 alpha_t
   * (1 - alphabar_t)) with sigma_t^2 the posterior variance (1 - alphabar_(t-1)) / (1 - alphabar_t) beta_t,
   * and sigma^2 = beta at the first step (where it gives 1 / (2 alpha)); on the DDPM linear schedule,
   * evaluated in 50-digit decimal arithmetic (Python's decimal module) from the betas.
   */
  @Override
  protected List<ReferenceWeight<VlbWeighter.Config>> referenceWeights() {
    var c = new VlbWeighter.Config();
    return List.of(
        ReferenceWeight.atTimestep(c, "linear", 0, 0.50005000500050005000, "1 / (2 alpha_0)"),
        ReferenceWeight.atTimestep(c, "linear", 1, 0.59967151215931600206, "eq. 12 at t = 1"),
        ReferenceWeight.atTimestep(c, "linear", 10, 0.078976541611175630190, "eq. 12 at t = 10"),
        ReferenceWeight.atTimestep(c, "linear", 500, 0.0055144619596353011885, "eq. 12 at t = 500"),
        ReferenceWeight.atTimestep(c, "linear", 999, 0.010204501873800031777, "eq. 12 at t = 999"));
  }
}
