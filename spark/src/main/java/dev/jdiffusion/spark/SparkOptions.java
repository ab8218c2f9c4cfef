package dev.jdiffusion.spark;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where and how Spark runs: the master URL (empty: an embedded {@code local[N,F]} context, or the master that
 * {@code spark-submit} set) and extra Spark properties, as given by {@code --master URL} and
 * {@code --conf KEY=VALUE}. {@link #parse} checks both before Spark starts, so that a mistake is one line
 * naming the option, not a stack trace from deep inside Spark.
 *
 * @param master the master URL, when one was given
 * @param conf Spark properties in the order given (a later value for a key replaces an earlier one)
 */
public record SparkOptions(Optional<String> master, Map<String, String> conf) {
  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|[1-9][0-9]*)(?:,([1-9][0-9]*))?])?");
  private static final Pattern HOST_PORT = Pattern.compile("([^:/\\s]+|\\[[0-9a-fA-F:]+]):([0-9]{1,5})");

  public SparkOptions {
    conf = Collections.unmodifiableMap(new LinkedHashMap<>(conf));
  }

  /** No master, no properties: embedded, or whatever {@code spark-submit} configured. */
  public static SparkOptions defaults() {
    return new SparkOptions(Optional.empty(), Map.of());
  }

  /**
   * The {@code spark.*} system properties of this JVM: what {@code spark-submit} set from its options and
   * {@code spark-defaults.conf} (Spark's {@code SparkConf} reads them too).
   */
  public static Map<String, String> submittedProperties() {
    Map<String, String> submitted = new TreeMap<>();
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("spark.")) {
        submitted.put(name, System.getProperty(name));
      }
    }
    return submitted;
  }

  /**
   * Checks and collects {@code --master} and the {@code --conf} values.
   *
   * @param master the {@code --master} value, or {@code null}
   * @param confs the {@code --conf} values, each {@code KEY=VALUE}
   * @throws SparkSetupException naming the option and what was expected
   */
  public static SparkOptions parse(String master, List<String> confs) {
    if (master != null) {
      checkMaster(master);
    }
    Map<String, String> conf = new LinkedHashMap<>();
    for (String item : confs) {
      int eq = item.indexOf('=');
      if (eq <= 0) {
        throw new SparkSetupException("--conf " + item + ": expected KEY=VALUE, e.g. spark.executor.memory=4g");
      }
      String key = item.substring(0, eq).strip();
      String value = item.substring(eq + 1).strip();
      if (!key.startsWith("spark.") || key.length() == "spark.".length()) {
        throw new SparkSetupException("--conf " + item + ": " + key + " is not a Spark property (they start with"
            + " spark.); Spark would ignore it");
      }
      if (key.equals("spark.master")) {
        throw new SparkSetupException("--conf " + item + ": give the master with --master");
      }
      SparkProperties.check(key, value).ifPresent(problem -> {
        throw new SparkSetupException("--conf " + item + ": " + problem);
      });
      conf.put(key, value);
    }
    return new SparkOptions(Optional.ofNullable(master), conf);
  }

  /** Whether a master URL runs everything inside this JVM ({@code local}, {@code local[N]}, {@code local[N,F]}). */
  public static boolean isLocal(String master) {
    return LOCAL.matcher(master).matches();
  }

  /**
   * The number of task slots of a local master, or empty for another master; {@code local[*]} has one per
   * core.
   */
  public static Optional<Integer> localSlots(String master) {
    Matcher m = LOCAL.matcher(master);
    if (!m.matches()) {
      return Optional.empty();
    }
    if (m.group(1) == null) {
      return Optional.of(1);
    }
    return Optional.of(m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors()
        : Integer.parseInt(m.group(1)));
  }

  /**
   * The {@code HOST:PORT} pairs of a standalone master URL ({@code spark://h1:p1,h2:p2} lists standby
   * masters), or an empty list for another master.
   */
  public static List<String> standaloneMasters(String master) {
    if (!master.startsWith("spark://")) {
      return List.of();
    }
    return List.of(master.substring("spark://".length()).split(","));
  }

  static void checkMaster(String master) {
    String expected = "expected local, local[N], local[N,F] (F tries per task), spark://HOST:PORT or k8s://URL";
    if (isLocal(master)) {
      return;
    }
    String lower = master.toLowerCase(Locale.ROOT);
    if (lower.startsWith("spark://")) {
      String rest = master.substring("spark://".length());
      for (String hostPort : rest.split(",", -1)) {
        Matcher m = HOST_PORT.matcher(hostPort);
        if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
          throw new SparkSetupException("--master " + master + ": '" + hostPort + "' is not HOST:PORT with a port"
              + " in 1..65535 (a standalone master listens on 7077 by default)");
        }
      }
      return;
    }
    if (lower.startsWith("k8s://")) {
      requireClusterManager(master, "org.apache.spark.scheduler.cluster.k8s.KubernetesClusterManager",
          "Kubernetes (spark-kubernetes)");
      return;
    }
    if (lower.equals("yarn")) {
      requireClusterManager(master, "org.apache.spark.scheduler.cluster.YarnClusterManager", "YARN (spark-yarn)");
      return;
    }
    if (lower.startsWith("local")) {
      throw new SparkSetupException("--master " + master + ": " + expected + ", with N a number of task slots"
          + " or * for one per core");
    }
    throw new SparkSetupException("--master " + master + ": " + expected);
  }

  private static void requireClusterManager(String master, String className, String what) {
    try {
      Class.forName(className, false, SparkOptions.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new SparkSetupException("--master " + master + ": this class path has no Spark support for " + what
          + "; submit the jdiffusion-spark jar with spark-submit from a Spark distribution (docs/spark.md)");
    }
  }
}
