/**
 * Samplers driven only by a model's metadata (the alphabar table and the parameterization's estimate
 * coefficients), so they work for every parameterization and schedule: DDPM ancestral, DDIM, Euler, Heun and
 * DPM-Solver++(2M), on a choice of timestep grids ({@link dev.jdiffusion.sampling.sampler.Spacing}), with
 * per-image noise ({@link dev.jdiffusion.sampling.sampler.Noise}). {@link dev.jdiffusion.sampling.sampler.Samplers}
 * makes one from its name.
 */
package dev.jdiffusion.sampling.sampler;
