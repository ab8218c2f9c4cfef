/**
 * Frechet Inception Distance and Kernel Inception Distance over feature vectors, with the statistics cached
 * in pytorch-fid's {@code .npz} layout.
 *
 * <ul>
 *   <li>{@link dev.jdiffusion.sampling.fid.MomentAccumulator}: streaming mean and covariance in double
 *       precision (Chan, Golub and LeVeque's pairwise merge of per-batch centred moments);</li>
 *   <li>{@link dev.jdiffusion.sampling.fid.FeatureStatistics}: {@code (N, mu, sigma)}, saved and loaded as
 *       {@code .npz} with arrays {@code mu} and {@code sigma};</li>
 *   <li>{@link dev.jdiffusion.sampling.fid.FrechetDistance}: Heusel et al. 2017's distance with the trace of
 *       the matrix square root from symmetric eigendecompositions (EJML);</li>
 *   <li>{@link dev.jdiffusion.sampling.fid.KernelInceptionDistance}: Binkowski et al. 2018's unbiased MMD
 *       with torch-fidelity's kernel, subsets and seed;</li>
 *   <li>{@link dev.jdiffusion.sampling.fid.FeatureExtractor} and its ONNX Runtime implementation
 *       {@link dev.jdiffusion.sampling.fid.OnnxFeatureExtractor}: images to feature vectors.</li>
 * </ul>
 *
 * <p>A distance is meaningful only between features of the same extractor: every result here carries the
 * extractor's {@link dev.jdiffusion.sampling.fid.FeatureExtractor#description() description}.
 */
package dev.jdiffusion.sampling.fid;
