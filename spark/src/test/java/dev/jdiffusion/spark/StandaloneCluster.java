package dev.jdiffusion.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Spark standalone cluster on this machine, for tests: a master and one worker, each a plain {@code java}
 * process on this JVM's class path (no Spark distribution needed), bound to 127.0.0.1 on free ports. The
 * worker starts each application's executor as a third JVM, so code that runs on this cluster is serialized,
 * shipped and run in another process, as on a real cluster.
 *
 * <p>Spark's launcher insists on {@code SPARK_HOME/jars}; an empty one is enough because executors get the
 * class path through {@code spark.executor.extraClassPath} ({@link #applicationConf()}).
 */
final class StandaloneCluster implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  private final Process master;
  private final Process worker;
  private final String masterUrl;
  private final String classPath;
  private final Path work;

  private StandaloneCluster(Process master, Process worker, String masterUrl, String classPath, Path work) {
    this.master = master;
    this.worker = worker;
    this.masterUrl = masterUrl;
    this.classPath = classPath;
    this.work = work;
  }

  /**
   * Starts a master and a worker with {@code cores} cores and {@code memory} (e.g. {@code 2g}) to offer.
   *
   * @param workerProperties Spark properties of the worker, e.g. its GPU resources
   */
  static StandaloneCluster start(Path work, int cores, String memory, Map<String, String> workerProperties)
      throws IOException, InterruptedException {
    Path sparkHome = Files.createDirectories(work.resolve("spark-home"));
    Files.createDirectories(sparkHome.resolve("jars"));
    String classPath = classPath();
    int masterPort = freePort();
    int masterUi = freePort();
    String masterUrl = "spark://127.0.0.1:" + masterPort;
    Process master = launch(work, "master", classPath, sparkHome, Map.of(), List.of(
        "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(masterPort),
        "--webui-port", String.valueOf(masterUi)));
    Process worker = null;
    try {
      worker = launch(work, "worker", classPath, sparkHome, workerProperties, List.of(
          "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--port", String.valueOf(freePort()),
          "--webui-port", String.valueOf(freePort()), "--cores", String.valueOf(cores), "--memory", memory,
          "--work-dir", Files.createDirectories(work.resolve("worker-work")).toString(), masterUrl));
      awaitWorker(masterUi, work, master, worker);
      return new StandaloneCluster(master, worker, masterUrl, classPath, work);
    } catch (IOException | InterruptedException | RuntimeException e) {
      stop(worker);
      stop(master);
      throw e;
    }
  }

  /** The master URL, {@code spark://127.0.0.1:PORT}. */
  String masterUrl() {
    return masterUrl;
  }

  /** What an application needs on this cluster: the class path of its executors, loopback addresses. */
  List<String> applicationConf() {
    return List.of("spark.executor.extraClassPath=" + classPath, "spark.driver.host=127.0.0.1",
        "spark.driver.bindAddress=127.0.0.1", "spark.executor.memory=768m", "spark.ui.enabled=false",
        SparkRunner.EXECUTOR_TIMEOUT + "=180");
  }

  /** The last lines of the master's and worker's logs (for failure messages). */
  String logs() {
    StringBuilder b = new StringBuilder();
    for (String name : new String[] {"master", "worker"}) {
      try {
        List<String> lines = Files.readAllLines(work.resolve(name + ".log"));
        b.append("--- ").append(name).append(".log (last 30 lines)\n");
        lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> b.append(l).append('\n'));
      } catch (IOException e) {
        b.append("--- ").append(name).append(".log unreadable: ").append(e.getMessage()).append('\n');
      }
    }
    return b.toString();
  }

  @Override
  public void close() {
    stop(worker);
    stop(master);
  }

  /** The test's class path: surefire runs tests from a manifest-only jar and names the real path here. */
  static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null ? cp : System.getProperty("java.class.path");
  }

  private static Process launch(Path work, String name, String classPath, Path sparkHome,
      Map<String, String> properties, List<String> mainAndArgs) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", classPath));
    properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(mainAndArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(work.resolve(name + ".log").toFile());
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("JAVA_HOME", System.getProperty("java.home"));
    return pb.start();
  }

  /** Polls the master's JSON status page until one worker is alive. */
  private static void awaitWorker(int masterUi, Path work, Process master, Process worker)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    ObjectMapper json = new ObjectMapper();
    URI status = URI.create("http://127.0.0.1:" + masterUi + "/json/");
    while (true) {
      if (!master.isAlive() || !worker.isAlive()) {
        throw new IllegalStateException("the " + (master.isAlive() ? "worker" : "master") + " exited: see "
            + work.resolve(master.isAlive() ? "worker.log" : "master.log"));
      }
      try (InputStream in = status.toURL().openStream()) {
        JsonNode node = json.readTree(in);
        if (node.path("aliveworkers").asInt() >= 1) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no worker registered with the master within " + START_TIMEOUT.toSeconds()
            + " s: see " + work);
      }
      Thread.sleep(250);
    }
  }

  private static void stop(Process p) {
    if (p == null) {
      return;
    }
    p.descendants().forEach(ProcessHandle::destroy); // executors the worker started
    p.destroy();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
