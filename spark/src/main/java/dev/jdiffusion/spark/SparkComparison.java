package dev.jdiffusion.spark;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.pipeline.Comparison;
import dev.jdiffusion.pipeline.Environment;
import dev.jdiffusion.pipeline.FidScoring;
import dev.jdiffusion.trainer.Engines;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.SparkException;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.TaskContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * The comparison protocol on Spark: every (schedule, weighter, seed) run of a {@link Comparison} is one Spark
 * task, which rebuilds the comparison from its configuration text and calls {@link Comparison#runOne} (train,
 * export each scored checkpoint, sample, score), exactly as the in-process engine does; the driver collects
 * the {@link Comparison.RunResult}s and writes the same report.
 *
 * <p>Everything the runs share is prepared once on the driver before the tasks start ({@link #prepare}): the
 * FID extractor (trained and cached when none is given), the comparison's recorded settings and the reference
 * statistics of the test split. On a cluster, the output directory, the extractor and the dataset must be on a
 * file system every executor sees, under the same paths.
 *
 * <p>Faults: a task that fails (an exception, a lost executor) is tried again by Spark, and the new attempt
 * resumes its run from the newest checkpoint and skips the checkpoints already scored. A run is never trained
 * by two tasks at once: each holds its run's file lock while it works (an attempt that finds the lock held
 * reports the run incomplete, as the in-process engine does), and Spark's speculative execution, which would
 * start a second attempt of a healthy task, is refused ({@link #checkOptions}).
 */
public final class SparkComparison {
  private SparkComparison() {}

  /**
   * What a task needs to rebuild the comparison in its own JVM: nothing but strings and numbers.
   *
   * @param pluginDirectory the plugin directory ({@code --plugins}), or null
   * @param source how errors name the configuration
   * @param config the configuration text (YAML or JSON)
   * @param out the output directory, the same path on every machine
   * @param extractor the FID extractor, the same path on every machine ({@link #prepare} resolves it)
   * @param command how the report names the invocation
   * @param threadsPerRun libtorch and ONNX Runtime threads of each run
   */
  public record Job(String pluginDirectory, String source, String config, String out, String extractor,
      String command, int threadsPerRun) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Job {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(out, "out");
      Objects.requireNonNull(extractor, "extractor");
      Objects.requireNonNull(command, "command");
      if (threadsPerRun < 1) {
        throw new IllegalArgumentException("threadsPerRun must be >= 1, got " + threadsPerRun);
      }
    }
  }

  /**
   * Sees every line a run logs, and may fail the task (tests inject faults through it). The default passes
   * lines through.
   */
  interface LogTap extends Serializable {
    /** Called before {@code line} (without its line break) is printed by attempt {@code attempt} of a run. */
    void line(Comparison.RunSpec spec, int attempt, String line);
  }

  private static final LogTap NO_TAP = (spec, attempt, line) -> {};

  /**
   * Prepares on the driver what every run shares: resolves the extractor (the one given, else the cached
   * classifier for the dataset, trained once), records the comparison's settings and the extractor in the
   * output directory, and computes the reference statistics of the test split.
   *
   * @param source how errors name the configuration
   * @param text the configuration
   * @param options the comparison's options (an empty extractor means the cached classifier)
   * @return the extractor's path, for {@link Job#extractor()}
   */
  public static Path prepare(Environment env, String source, String text, Comparison.Options options)
      throws IOException, OrtException {
    Path extractor = options.extractor().isPresent() ? options.extractor().get()
        : FidScoring.cachedExtractor(env, Comparison.open(env, source, text, options).config().dataset(),
            options.quickExtractor(), options.log(), options.progressBar());
    Comparison resolved = Comparison.open(env, source, text, withExtractor(options, extractor));
    resolved.worker().close(); // records the settings and the extractor, computes the reference statistics
    return extractor;
  }

  /**
   * Trains and scores {@code runs} as Spark tasks, one task per run, and returns their results in the order
   * given. Task attempts that fail are reported on {@code log} in one line each.
   *
   * @throws RuntimeException the cause of the first run that failed on every attempt (for example a
   *     {@code PipelineException} naming a missing checkpoint), as the in-process engine would have thrown it
   */
  public static List<Comparison.RunResult> run(SparkRunner spark, Job job, List<Comparison.RunSpec> runs,
      PrintWriter log) {
    return run(spark, job, runs, log, NO_TAP);
  }

  static List<Comparison.RunResult> run(SparkRunner spark, Job job, List<Comparison.RunSpec> runs, PrintWriter log,
      LogTap tap) {
    if (runs.isEmpty()) {
      return List.of();
    }
    FailureLog failures = new FailureLog(runs, log);
    spark.context().sc().addSparkListener(failures);
    try {
      return spark.context().parallelize(runs, runs.size()).map(spec -> runTask(job, spec, tap)).collect();
    } catch (RuntimeException e) {
      throw rootCause(e);
    } finally {
      spark.context().sc().removeSparkListener(failures);
    }
  }

  /** The work of one task, in whatever JVM Spark runs it. */
  static Comparison.RunResult runTask(Job job, Comparison.RunSpec spec, LogTap tap) throws IOException, OrtException {
    int attempt = TaskContext.get() == null ? 0 : TaskContext.get().attemptNumber();
    Environment env = Environment.load(job.pluginDirectory() == null ? null : Path.of(job.pluginDirectory()));
    PrintWriter log = new PrintWriter(new RunLog(System.out, spec, attempt, tap), true);
    Comparison.Options.Builder options = Comparison.Options.builder(Path.of(job.out()))
        .extractor(Path.of(job.extractor())).command(job.command()).log(log).progressBar(false);
    Comparison probe = Comparison.open(env, job.source(), job.config(), options.build());
    String configured = probe.config().training().device();
    String device = GpuAssignment.currentTaskDevice(configured);
    Comparison comparison = device.equals(configured) ? probe
        : Comparison.open(env, job.source(), job.config(), options.device(device).build());
    if (attempt > 0) {
      log.printf("%s: attempt %d, resuming from what earlier attempts left%n", spec.name(), attempt + 1);
    }
    Future<Comparison.RunResult> result = RUNNER.submit(() -> {
      Engines.setThreads(job.threadsPerRun());
      return comparison.runOne(spec);
    });
    try {
      return result.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      } else if (cause instanceof OrtException ort) {
        throw ort;
      } else if (cause instanceof RuntimeException runtime) {
        throw runtime;
      } else if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      // Spark killed the task: the run goes on to its next checkpoint on the runner thread, holding its lock,
      // and a new attempt queues behind it, so the run is still never trained twice at once.
      Thread.currentThread().interrupt();
      throw new IllegalStateException(spec.name() + ": task interrupted", e);
    } finally {
      log.flush();
    }
  }

  /**
   * The one thread of this JVM that trains and scores runs, so that runs in one JVM train one at a time, and
   * always on the same thread.
   *
   * <p>One at a time: two runs training at once in one JVM (Spark's {@code local[2]}, or an executor with several
   * cores) were seen to crash in libtorch's oneDNN convolution ({@code brgemm_convolution_fwd_t::pd_t::init_batch},
   * SIGABRT) and, without a crash, to give one run a different FID from the same run trained alone; until that
   * is understood, tasks that share a JVM wait for each other here, and parallelism comes from executors (one JVM
   * each).
   *
   * <p>The same thread: libtorch's OpenMP (GNU libgomp) keeps a team of worker threads for every thread that
   * starts a parallel region, alive as long as that thread, and once it counts more OpenMP threads than cores it
   * stops spin-waiting at its barriers. Spark runs each task on a thread of its pool; trained there, every run
   * could leave a team behind. On one long-lived thread the JVM keeps one team, as the local engine's main
   * thread does (what this changed in Spark's overhead: docs/benchmarks.md). A daemon thread, so it never keeps
   * an executor's JVM alive.
   */
  private static final ExecutorService RUNNER = Executors.newSingleThreadExecutor(task -> {
    Thread t = new Thread(task, "jdiffusion-runs");
    t.setDaemon(true);
    return t;
  });

  /**
   * Refuses Spark settings under which a run could be trained twice at once: speculative execution starts a
   * second attempt of a task that is merely slow.
   *
   * @throws SparkSetupException naming the property
   */
  public static void checkOptions(SparkOptions options) {
    String speculation = options.conf().get("spark.speculation");
    if (speculation != null && speculation.strip().equalsIgnoreCase("true")) {
      throw new SparkSetupException("--conf spark.speculation=" + speculation + ": jdiffusion runs must not be"
          + " speculated (a second attempt would train the same run at the same time); leave it false");
    }
  }

  /** The exception a task threw, without Spark's wrapping, or a one-line summary when it is not at hand. */
  static RuntimeException rootCause(RuntimeException e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    if (t instanceof RuntimeException r && t != e) {
      return r;
    }
    if (t instanceof SparkException || t == e) {
      return new SparkSetupException("the Spark job failed: " + SparkRunner.firstLine(e), e);
    }
    return new IllegalStateException(t.getClass().getSimpleName() + ": " + t.getMessage(), t);
  }

  private static Comparison.Options withExtractor(Comparison.Options o, Path extractor) {
    Comparison.Options.Builder b = Comparison.Options.builder(o.out()).extractor(extractor)
        .quickExtractor(o.quickExtractor()).command(o.command()).log(o.log()).progressBar(o.progressBar());
    o.device().ifPresent(b::device);
    return b.build();
  }

  /** Prints one line for each failed task attempt, naming its run. */
  private static final class FailureLog extends SparkListener {
    private final List<Comparison.RunSpec> runs;
    private final PrintWriter log;

    FailureLog(List<Comparison.RunSpec> runs, PrintWriter log) {
      this.runs = new ArrayList<>(runs);
      this.log = log;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      if (end.taskInfo().successful()) {
        return;
      }
      int index = end.taskInfo().index();
      String name = index >= 0 && index < runs.size() ? runs.get(index).name() : "task " + index;
      String reason = end.reason() instanceof TaskFailedReason failed
          ? failed.toErrorString().lines().findFirst().orElse("").strip() : String.valueOf(end.reason());
      synchronized (log) {
        log.printf("%s: attempt %d failed: %s%n", name, end.taskInfo().attemptNumber() + 1, reason);
        log.flush();
      }
    }
  }

  /**
   * A run's log: whole lines to {@code out}, each prefixed with the run's name unless it already starts with
   * it, so that runs training at once in one JVM stay readable.
   */
  private static final class RunLog extends Writer {
    private final PrintStream out;
    private final Comparison.RunSpec spec;
    private final int attempt;
    private final LogTap tap;
    private final StringBuilder line = new StringBuilder();

    RunLog(PrintStream out, Comparison.RunSpec spec, int attempt, LogTap tap) {
      this.out = out;
      this.spec = spec;
      this.attempt = attempt;
      this.tap = tap;
    }

    @Override
    public void write(char[] buf, int off, int len) {
      for (int i = off; i < off + len; i++) {
        char c = buf[i];
        if (c == '\n') {
          emit();
        } else if (c != '\r') {
          line.append(c);
        }
      }
    }

    private void emit() {
      String text = line.toString();
      line.setLength(0);
      tap.line(spec, attempt, text);
      String prefix = spec.name();
      out.println(text.startsWith(prefix) ? text : prefix + ": " + text);
    }

    @Override
    public void flush() {
      out.flush();
    }

    @Override
    public void close() {
      if (line.length() > 0) {
        emit();
      }
      out.flush();
    }
  }
}
