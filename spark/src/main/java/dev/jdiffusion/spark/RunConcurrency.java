package dev.jdiffusion.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * How many runs train at once and with how many threads each ({@code --threads-per-run}). libtorch's and
 * ONNX Runtime's threads of the runs that train at once should add up to the cores, never more
 * (oversubscribing the cores slows libtorch about tenfold), and never leave cores idle. Runs that share a JVM
 * train one at a time ({@link #RUNS_AT_ONCE_PER_JVM}, see {@link SparkComparison}), so a JVM's cores all go to
 * its one training run:
 *
 * <ul>
 *   <li>embedded (no master given, none set by {@code spark-submit}): one task slot, and the run gets all the
 *       cores unless {@code --threads-per-run T} says otherwise. The master is {@code local[1,4]}, so that a
 *       failed task is tried again;</li>
 *   <li>{@code local[N]}: N slots, whose runs still train one at a time: {@code T}, or else all the cores;</li>
 *   <li>a cluster: each executor is a JVM that trains one run at a time, so a run's threads are an executor's
 *       cores. {@code T}, or else {@code spark.executor.cores}, or else {@code spark.task.cpus}, or else 1.
 *       Unless given, {@code spark.task.cpus} is set to the threads (Spark reserves the cores) and, when
 *       {@code spark.executor.cores} is not given either, so is {@code spark.executor.cores}: each executor then
 *       holds one task, and the runs that train at once are in separate JVMs. The executors' JVM options pin
 *       libtorch to the threads (one setting per process) and keep DJL offline, merged into a given {@code
 *       spark.executor.extraJavaOptions} ({@link #mergeJavaOptions}); the launcher's tuning variables
 *       ({@link #TUNED_ENVIRONMENT}) go to the executors unless given.</li>
 * </ul>
 *
 * "Given" means set by {@code --conf} or by {@code spark-submit} (its {@code --conf} options and {@code
 * spark-defaults.conf} arrive as {@code spark.*} system properties); a value set there is kept as it is,
 * except that jdiffusion's JVM options are added to {@code spark.executor.extraJavaOptions} where it does not set
 * them.
 *
 * @param options the Spark options to start with: the master resolved, the properties above added
 * @param slots the task slots of a local master, or empty on a cluster
 * @param threadsPerRun threads of each run
 */
public record RunConcurrency(SparkOptions options, OptionalInt slots, int threadsPerRun) {
  /**
   * The runs that train at once in one JVM: one, as {@link SparkComparison} serializes them (two at once crashed
   * in libtorch's oneDNN convolution and changed one run's FID).
   */
  public static final int RUNS_AT_ONCE_PER_JVM = 1;

  /**
   * The environment the {@code ./diffusion} launcher tunes libtorch and malloc with (docs/benchmarks.md);
   * executors on a cluster get the driver's values.
   */
  static final List<String> TUNED_ENVIRONMENT = List.of("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MALLOC_ARENA_MAX",
      "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "THP_MEM_ALLOC_ENABLE");

  private static final String EXTRA_JAVA_OPTIONS = "spark.executor.extraJavaOptions";

  /**
   * Resolves the concurrency of a comparison.
   *
   * @param options {@code --master} and {@code --conf}
   * @param submitted the {@code spark.*} properties {@code spark-submit} set (system properties), which
   *     {@code --conf} overrides; {@code spark.master} among them is the master when {@code --master} is absent
   * @param threadsPerRun {@code --threads-per-run}, when given
   * @param cores the cores of this machine
   * @param runs the runs to train
   * @param environment the driver's environment (for {@link #TUNED_ENVIRONMENT})
   * @throws SparkSetupException when {@code --threads-per-run}, {@code spark.executor.cores} or
   *     {@code spark.task.cpus} is not a number of at least 1
   */
  public static RunConcurrency resolve(SparkOptions options, Map<String, String> submitted,
      OptionalInt threadsPerRun, int cores, int runs, Map<String, String> environment) {
    if (threadsPerRun.isPresent() && threadsPerRun.getAsInt() < 1) {
      throw new SparkSetupException("--threads-per-run " + threadsPerRun.getAsInt() + ": expected at least 1");
    }
    Map<String, String> given = new LinkedHashMap<>(submitted);
    given.putAll(options.conf());
    Map<String, String> conf = new LinkedHashMap<>(options.conf());
    Optional<String> master = options.master().or(() -> Optional.ofNullable(submitted.get("spark.master")));
    if (master.isEmpty()) {
      int slots = Math.max(1, Math.min(RUNS_AT_ONCE_PER_JVM, Math.min(runs,
          threadsPerRun.isPresent() ? cores / threadsPerRun.getAsInt() : cores)));
      int threads = threadsPerRun.orElse(Math.max(1, cores / slots));
      String local = "local[" + slots + "," + SparkRunner.LOCAL_TRIES + "]";
      return new RunConcurrency(new SparkOptions(Optional.of(local), conf), OptionalInt.of(slots), threads);
    }
    Optional<Integer> localSlots = SparkOptions.localSlots(master.get());
    if (localSlots.isPresent()) {
      int slots = localSlots.get();
      int threads = threadsPerRun.orElse(Math.max(1, cores / Math.min(slots, RUNS_AT_ONCE_PER_JVM)));
      return new RunConcurrency(new SparkOptions(master, conf), OptionalInt.of(slots), threads);
    }
    OptionalInt executorCores = positive(given, "spark.executor.cores");
    OptionalInt taskCpus = positive(given, "spark.task.cpus");
    int threads = threadsPerRun.isPresent() ? threadsPerRun.getAsInt()
        : executorCores.isPresent() ? executorCores.getAsInt() : taskCpus.orElse(1);
    if (taskCpus.isEmpty()) {
      conf.put("spark.task.cpus", String.valueOf(threads));
    }
    if (executorCores.isEmpty()) {
      conf.put("spark.executor.cores", String.valueOf(taskCpus.orElse(threads)));
    }
    Map<String, String> ours = new LinkedHashMap<>();
    ours.put("ai.djl.offline", "true");
    ours.put("ai.djl.pytorch.num_threads", String.valueOf(threads));
    ours.put("ai.djl.pytorch.num_interop_threads", "1");
    conf.put(EXTRA_JAVA_OPTIONS, mergeJavaOptions(given.get(EXTRA_JAVA_OPTIONS), ours));
    for (String name : TUNED_ENVIRONMENT) {
      String value = environment.get(name);
      if (value != null && !given.containsKey("spark.executorEnv." + name)) {
        conf.put("spark.executorEnv." + name, value);
      }
    }
    return new RunConcurrency(new SparkOptions(options.master(), conf), OptionalInt.empty(), threads);
  }

  /**
   * The executors' JVM options: the user's {@code given} options, kept whole and last, preceded by each of
   * {@code ours} ({@code -DKEY=VALUE}) whose key the user's options do not set. A user's {@code
   * -Dai.djl.pytorch.num_threads=8} therefore wins over ours, and {@code -Xss4m} alone gets ours added.
   *
   * @param given the user's {@code spark.executor.extraJavaOptions}, or null
   * @param ours system properties to add, by key
   */
  static String mergeJavaOptions(String given, Map<String, String> ours) {
    List<String> parts = new ArrayList<>();
    String user = given == null ? "" : given.strip();
    for (Map.Entry<String, String> e : ours.entrySet()) {
      Pattern set = Pattern.compile("(^|\\s)[\"']?-D" + Pattern.quote(e.getKey()) + "([=\"'\\s]|$)");
      if (!set.matcher(user).find()) {
        parts.add("-D" + e.getKey() + "=" + e.getValue());
      }
    }
    if (!user.isEmpty()) {
      parts.add(user);
    }
    return String.join(" ", parts);
  }

  private static OptionalInt positive(Map<String, String> conf, String key) {
    String value = conf.get(key);
    if (value == null) {
      return OptionalInt.empty();
    }
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= 1) {
        return OptionalInt.of(n);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new SparkSetupException(key + "=" + value + ": expected a whole number of cores, at least 1");
  }
}
