/**
 * The data pipeline between dataset plugins and the trainer: {@link dev.jdiffusion.core.data.BatchLoader}
 * cuts an opened {@link dev.jdiffusion.spi.dataset.DatasetSource} into shuffled, deterministic batches of
 * float32 NCHW pixels ({@link dev.jdiffusion.core.data.Batch}). No tensor library here: the trainer copies
 * a batch's array into its own tensors.
 */
package dev.jdiffusion.core.data;
