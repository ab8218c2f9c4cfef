package dev.jdiffusion.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A Spark context for jdiffusion's jobs, started from {@link SparkOptions}:
 *
 * <ul>
 *   <li>without a master, the one {@code spark-submit} set (property {@code spark.master}), else an embedded
 *       {@code local[N,4]} context: N task slots in this JVM, each task tried up to 4 times like on a cluster
 *       (Spark's {@code local[N]} tries a task only once);</li>
 *   <li>local masters bind to the loopback interface and start no web UI, so nothing is exposed and nothing
 *       depends on how this machine's host name resolves;</li>
 *   <li>a standalone master ({@code spark://}) must accept a TCP connection within {@link #CONNECT_TIMEOUT}, and
 *       a cluster must give the application an executor within {@code spark.jdiffusion.executorTimeout}
 *       seconds (default 120); otherwise {@link SparkSetupException} says so in one line.</li>
 * </ul>
 *
 * Records go through Spark's default {@code JavaSerializer} (Kryo would need {@code --add-opens} on Java 17 and
 * cannot serialize records), so everything a job ships is {@link java.io.Serializable}.
 */
public final class SparkRunner implements AutoCloseable {
  /** How long a standalone master may take to accept a connection. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Tries per task in the embedded context, as {@code spark.task.maxFailures} defaults to on a cluster. */
  public static final int LOCAL_TRIES = 4;
  /** Seconds a cluster may take to give the application its first executor. */
  public static final String EXECUTOR_TIMEOUT = "spark.jdiffusion.executorTimeout";

  private final JavaSparkContext context;
  private final String master;

  private SparkRunner(JavaSparkContext context, String master) {
    this.context = context;
    this.master = master;
  }

  /**
   * Starts Spark.
   *
   * @param options master and properties
   * @param localSlots task slots of the embedded context, used when no master is given
   * @param appName the application's name in the cluster's UI (a {@code spark.app.name} property wins)
   * @throws SparkSetupException when the options are refused, the master does not answer, or no executor comes
   */
  public static SparkRunner start(SparkOptions options, int localSlots, String appName) {
    if (localSlots < 1) {
      throw new IllegalArgumentException("localSlots must be >= 1, got " + localSlots);
    }
    SparkConf conf = new SparkConf(true); // spark.* system properties, e.g. those spark-submit sets
    String master = options.master().orElseGet(() -> conf.contains("spark.master") ? conf.get("spark.master")
        : "local[" + localSlots + "," + LOCAL_TRIES + "]");
    if (options.master().isEmpty() && !conf.contains("spark.master")) {
      SparkOptions.checkMaster(master);
    }
    conf.setMaster(master);
    conf.setIfMissing("spark.app.name", appName);
    if (SparkOptions.isLocal(master)) {
      conf.setIfMissing("spark.ui.enabled", "false");
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    }
    for (Map.Entry<String, String> e : options.conf().entrySet()) {
      conf.set(e.getKey(), e.getValue());
    }
    int executorTimeout;
    try {
      executorTimeout = Integer.parseInt(conf.get(EXECUTOR_TIMEOUT, "120"));
    } catch (NumberFormatException e) {
      throw new SparkSetupException("--conf " + EXECUTOR_TIMEOUT + "=" + conf.get(EXECUTOR_TIMEOUT)
          + ": expected a whole number of seconds");
    }
    requireReachable(master);
    JavaSparkContext context;
    try {
      context = new JavaSparkContext(conf);
    } catch (Exception | ExceptionInInitializerError e) { // Scala code throws SparkException undeclared
      throw new SparkSetupException("Spark did not start with --master " + master + describe(options) + ": "
          + firstLine(e), e);
    }
    SparkRunner runner = new SparkRunner(context, master);
    if (!SparkOptions.isLocal(master)) {
      try {
        runner.awaitExecutor(Duration.ofSeconds(executorTimeout));
      } catch (RuntimeException e) {
        runner.close();
        throw e;
      }
    }
    return runner;
  }

  /** The context, to parallelize work and collect results. */
  public JavaSparkContext context() {
    return context;
  }

  /** The master URL in use. */
  public String master() {
    return master;
  }

  /** Whether the tasks run inside this JVM. */
  public boolean isLocal() {
    return SparkOptions.isLocal(master);
  }

  /** Stops the context. */
  @Override
  public void close() {
    context.stop();
  }

  private void awaitExecutor(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // The driver is listed as an executor too.
    while (context.sc().statusTracker().getExecutorInfos().length < 2) {
      if (context.sc().isStopped()) {
        throw new SparkSetupException("--master " + master + ": the cluster stopped this application before it"
            + " got an executor (see the master's log)");
      }
      if (System.nanoTime() > deadline) {
        throw new SparkSetupException("--master " + master + ": no executor started within " + timeout.toSeconds()
            + " s; is a worker alive, and does it offer the cores and memory asked for (spark.executor.cores,"
            + " spark.executor.memory, spark.task.cpus)? Raise " + EXECUTOR_TIMEOUT + " for a slow cluster");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SparkSetupException("interrupted while waiting for an executor from " + master);
      }
    }
  }

  /** A standalone master must accept a connection at one of its addresses. */
  private static void requireReachable(String master) {
    List<String> hostPorts = SparkOptions.standaloneMasters(master);
    if (hostPorts.isEmpty()) {
      return;
    }
    List<String> failures = new ArrayList<>();
    for (String hostPort : hostPorts) {
      int colon = hostPort.lastIndexOf(':');
      String host = hostPort.substring(0, colon).replaceAll("^\\[|]$", "");
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
        return;
      } catch (IOException e) {
        failures.add(hostPort + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
      }
    }
    throw new SparkSetupException("--master " + master + ": no Spark master is reachable at " + String.join(", ", failures)
        + "; is the master running and is its port open to this machine?");
  }

  private static String describe(SparkOptions options) {
    if (options.conf().isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    options.conf().forEach((k, v) -> b.append(" --conf ").append(k).append('=').append(v));
    return b.toString();
  }

  /** The first line of the innermost message, or the exception's class when nothing says more. */
  static String firstLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    for (Throwable t : new Throwable[] {root, e}) {
      String message = t.getMessage();
      if (message != null && !message.isBlank()) {
        return message.strip().lines().findFirst().orElse("").strip();
      }
    }
    return root.getClass().getName();
  }
}
