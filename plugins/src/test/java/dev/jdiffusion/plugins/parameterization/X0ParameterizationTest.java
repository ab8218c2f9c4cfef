package dev.jdiffusion.plugins.parameterization;

import dev.jdiffusion.testkit.ParameterizationContractTest;

/** The built-in X0Parameterization against the parameterization contract of the testkit. */
class X0ParameterizationTest extends ParameterizationContractTest<X0Parameterization.Config> {
  @Override
  protected X0Parameterization provider() {
    return new X0Parameterization();
  }
}
