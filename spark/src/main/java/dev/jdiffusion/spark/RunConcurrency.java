package dev.jdiffusion.spark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How many runs train at once and with how many threads each ({@code --threads-per-run}). libtorch's and
 * ONNX Runtime's threads of concurrent runs should add up to the cores, never more (oversubscribing the cores
 * slows libtorch about tenfold):
 *
 * <ul>
 *   <li>embedded (no master given, none set by {@code spark-submit}): with {@code --threads-per-run T},
 *       {@code cores / T} task slots; without, one slot per core up to the number of runs, and the cores
 *       divided among the slots. The master is {@code local[slots,4]}, so that a failed task is tried again;</li>
 *   <li>{@code local[N]}: N slots, {@code T} or else the cores divided by N;</li>
 *   <li>a cluster: {@code T}, or else {@code spark.task.cpus}, or else 1; {@code --threads-per-run} also sets
 *       {@code spark.task.cpus} (unless given) so that Spark reserves the cores, and the executors' JVM options
 *       pin libtorch to {@code T} threads (one setting per process) unless {@code
 *       spark.executor.extraJavaOptions} is given.</li>
 * </ul>
 *
 * @param options the Spark options to start with: the master resolved, the properties above added
 * @param slots the task slots of a local master (runs at once), or empty on a cluster
 * @param threadsPerRun threads of each run
 */
public record RunConcurrency(SparkOptions options, OptionalInt slots, int threadsPerRun) {
  /**
   * The environment the {@code ./diffusion} launcher tunes libtorch and malloc with (docs/benchmarks.md);
   * executors on a cluster get the driver's values.
   */
  static final List<String> TUNED_ENVIRONMENT = List.of("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MALLOC_ARENA_MAX",
      "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "THP_MEM_ALLOC_ENABLE");

  /**
   * Resolves the concurrency of a comparison.
   *
   * @param options {@code --master} and {@code --conf}
   * @param submittedMaster the master {@code spark-submit} set (property {@code spark.master}), or empty
   * @param threadsPerRun {@code --threads-per-run}, when given
   * @param cores the cores of this machine
   * @param runs the runs to train (a local master needs no more slots than runs)
   * @param environment the driver's environment (for {@link #TUNED_ENVIRONMENT})
   * @throws SparkSetupException when {@code --threads-per-run} is below 1
   */
  public static RunConcurrency resolve(SparkOptions options, Optional<String> submittedMaster,
      OptionalInt threadsPerRun, int cores, int runs, Map<String, String> environment) {
    if (threadsPerRun.isPresent() && threadsPerRun.getAsInt() < 1) {
      throw new SparkSetupException("--threads-per-run " + threadsPerRun.getAsInt() + ": expected at least 1");
    }
    Map<String, String> conf = new LinkedHashMap<>(options.conf());
    Optional<String> master = options.master().or(() -> submittedMaster);
    if (master.isEmpty()) {
      int slots = threadsPerRun.isPresent() ? Math.max(1, cores / threadsPerRun.getAsInt())
          : Math.max(1, Math.min(cores, runs));
      int threads = threadsPerRun.orElse(Math.max(1, cores / slots));
      String local = "local[" + slots + "," + SparkRunner.LOCAL_TRIES + "]";
      return new RunConcurrency(new SparkOptions(Optional.of(local), conf), OptionalInt.of(slots), threads);
    }
    Optional<Integer> localSlots = SparkOptions.localSlots(master.get());
    if (localSlots.isPresent()) {
      int slots = localSlots.get();
      int threads = threadsPerRun.orElse(Math.max(1, cores / slots));
      return new RunConcurrency(new SparkOptions(master, conf), OptionalInt.of(slots), threads);
    }
    int threads;
    if (threadsPerRun.isPresent()) {
      threads = threadsPerRun.getAsInt();
      conf.putIfAbsent("spark.task.cpus", String.valueOf(threads));
    } else {
      threads = conf.containsKey("spark.task.cpus") ? Integer.parseInt(conf.get("spark.task.cpus").strip()) : 1;
    }
    conf.putIfAbsent("spark.executor.extraJavaOptions", "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads="
        + threads + " -Dai.djl.pytorch.num_interop_threads=1");
    for (String name : TUNED_ENVIRONMENT) {
      String value = environment.get(name);
      if (value != null) {
        conf.putIfAbsent("spark.executorEnv." + name, value);
      }
    }
    return new RunConcurrency(new SparkOptions(options.master(), conf), OptionalInt.empty(), threads);
  }
}
