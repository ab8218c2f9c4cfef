package dev.jdiffusion.plugins.parameterization;

import dev.jdiffusion.testkit.ParameterizationContractTest;

/** The built-in VParameterization against the parameterization contract of the testkit. */
class VParameterizationTest extends ParameterizationContractTest<VParameterization.Config> {
  @Override
  protected VParameterization provider() {
    return new VParameterization();
  }
}
