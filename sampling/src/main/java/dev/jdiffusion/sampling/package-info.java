/**
 * Sampling exported denoisers with ONNX Runtime (DDPM ancestral, DDIM, Euler, Heun, DPM-Solver++(2M)) and scoring samples (FID, KID).
 * Everything here reads the model's {@code metadata_props} ({@link dev.jdiffusion.core.model.ModelMetadata})
 * and needs no training code.
 */
package dev.jdiffusion.sampling;
