package dev.jdiffusion.spark;

import java.util.Optional;
import org.apache.spark.internal.config.ConfigEntry;

/**
 * Checks the value of a Spark property against the type Spark declares for it (a number, a size such as
 * {@code 4g}, a duration, a boolean), so that {@code --conf spark.task.maxFailures=x} fails at once with
 * Spark's own explanation instead of later inside a task.
 *
 * <p>This reads Spark's registry of configuration entries ({@code ConfigEntry.findEntry}), which Spark marks
 * internal. Keys it does not list (other modules' properties, {@code spark.executorEnv.*}, resource amounts)
 * pass unchecked, as Spark itself accepts any {@code spark.*} key; if a future Spark drops the registry, the
 * check passes everything and Spark reports bad values when it reads them.
 */
final class SparkProperties {
  private static final boolean REGISTRY;

  static {
    boolean loaded = false;
    // Spark's core entries register themselves when the Scala objects that declare them are initialised.
    for (String holder : new String[] {"package$", "UI$", "Worker$", "Deploy$", "Status$", "Network$", "Kryo$",
        "Python$", "History$"}) {
      try {
        Class.forName("org.apache.spark.internal.config." + holder, true, SparkProperties.class.getClassLoader());
        loaded = true;
      } catch (ClassNotFoundException | LinkageError e) {
        // another Spark version: check what registered
      }
    }
    REGISTRY = loaded;
  }

  private SparkProperties() {}

  /** What is wrong with {@code value} for {@code key}, or empty when Spark would accept it (or cannot say). */
  static Optional<String> check(String key, String value) {
    if (!REGISTRY) {
      return Optional.empty();
    }
    ConfigEntry<?> entry;
    try {
      entry = ConfigEntry.findEntry(key);
    } catch (LinkageError e) {
      return Optional.empty();
    }
    if (entry == null) {
      return Optional.empty();
    }
    try {
      entry.valueConverter().apply(value);
      return Optional.empty();
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
      return Optional.of(why.contains(key) ? why : "Spark refuses the value: " + why);
    }
  }
}
