/** Parameterizations: what the network predicts, as linear coefficients per timestep. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
package dev.jdiffusion.spi.parameterization;

import org.apiguardian.api.API;
