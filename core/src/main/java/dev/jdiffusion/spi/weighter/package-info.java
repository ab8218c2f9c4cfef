/** Loss weighters: a weight per timestep in a declared loss space. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
package dev.jdiffusion.spi.weighter;

import org.apiguardian.api.API;
