package dev.jdiffusion.spi.parameterization;

import org.apiguardian.api.API;

/**
 * What a parameterization means at one timestep, as coefficients of linear maps. With
 * {@code x_t = sqrt(alphabar) x0 + sigma eps}:
 * <ul>
 *   <li>the training target is {@code targetX0 * x0 + targetEps * eps};
 *   <li>the clean-sample estimate is {@code x0FromXt * x_t + x0FromOutput * output};
 *   <li>the noise estimate is {@code epsFromXt * x_t + epsFromOutput * output}.
 * </ul>
 * The estimates must be exact when the output equals the target. Since
 * {@code eps_hat - eps = epsFromOutput (output - target)}, the MSE of the output is the eps-MSE divided by
 * {@code epsFromOutput^2}; that is how the framework converts weights, with no case per parameterization.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record Coefficients(
    double targetX0,
    double targetEps,
    double x0FromXt,
    double x0FromOutput,
    double epsFromXt,
    double epsFromOutput) {}
