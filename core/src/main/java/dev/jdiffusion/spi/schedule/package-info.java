/** Noise schedules: betas per timestep, and the double-precision table derived from them. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
package dev.jdiffusion.spi.schedule;

import org.apiguardian.api.API;
