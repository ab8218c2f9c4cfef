/** Datasets: images by index, channels first, scaled to [-1, 1]. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
package dev.jdiffusion.spi.dataset;

import org.apiguardian.api.API;
