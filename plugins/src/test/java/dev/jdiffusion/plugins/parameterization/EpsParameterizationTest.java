package dev.jdiffusion.plugins.parameterization;

import dev.jdiffusion.testkit.ParameterizationContractTest;

/** The built-in EpsParameterization against the parameterization contract of the testkit. */
class EpsParameterizationTest extends ParameterizationContractTest<EpsParameterization.Config> {
  @Override
  protected EpsParameterization provider() {
    return new EpsParameterization();
  }
}
