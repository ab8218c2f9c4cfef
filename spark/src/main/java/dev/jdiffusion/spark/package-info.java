/**
 * jdiffusion on Apache Spark: distributes library calls (one comparison run, or one range of FID sample
 * seeds) as Spark tasks and merges their small, serializable results on the driver. Nothing here trains,
 * samples or scores by itself; every task calls the same library code that the in-process engine calls.
 *
 * <ul>
 *   <li>{@link dev.jdiffusion.spark.SparkOptions}: {@code --master} and {@code --conf}, checked before Spark
 *       starts;</li>
 *   <li>{@link dev.jdiffusion.spark.SparkRunner}: the Spark context (embedded {@code local[N,F]} by default),
 *       with one-line errors for clusters that cannot be reached;</li>
 *   <li>{@link dev.jdiffusion.spark.GpuAssignment}: the GPU that Spark's resource scheduling gave a task, as a
 *       training device;</li>
 *   <li>{@link dev.jdiffusion.spark.DistributedFid}: the statistics of many samples of one model, drawn in
 *       disjoint seed ranges by separate tasks and pooled exactly.</li>
 * </ul>
 */
package dev.jdiffusion.spark;
