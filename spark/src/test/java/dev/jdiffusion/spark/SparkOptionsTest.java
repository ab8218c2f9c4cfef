package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SparkOptionsTest {

  @ParameterizedTest
  @ValueSource(strings = {"local", "local[1]", "local[16]", "local[*]", "local[2,3]", "local[*,4]",
      "spark://127.0.0.1:7077", "spark://master-a:7077,master-b:7078", "spark://[::1]:7077"})
  void acceptsTheMastersSparkAccepts(String master) {
    assertThat(SparkOptions.parse(master, List.of()).master()).hasValue(master);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "local[0]|--master local[0]: expected local, local[N], local[N,F] (F tries per task), spark://HOST:PORT or"
          + " k8s://URL, with N a number of task slots or * for one per core",
      "local[2,]|--master local[2,]: expected local, local[N], local[N,F] (F tries per task), spark://HOST:PORT or"
          + " k8s://URL, with N a number of task slots or * for one per core",
      "spark://host|--master spark://host: 'host' is not HOST:PORT with a port in 1..65535 (a standalone master"
          + " listens on 7077 by default)",
      "spark://host:99999|--master spark://host:99999: 'host:99999' is not HOST:PORT with a port in 1..65535 (a"
          + " standalone master listens on 7077 by default)",
      "mesos://host:5050|--master mesos://host:5050: expected local, local[N], local[N,F] (F tries per task),"
          + " spark://HOST:PORT or k8s://URL",
      "k8s://https://api:6443|--master k8s://https://api:6443: this class path has no Spark support for Kubernetes"
          + " (spark-kubernetes); submit the jdiffusion-spark jar with spark-submit from a Spark distribution"
          + " (docs/spark.md)"})
  void refusesOtherMastersInOneLine(String master, String message) {
    assertThatThrownBy(() -> SparkOptions.parse(master, List.of())).isInstanceOf(SparkSetupException.class)
        .hasMessage(message);
  }

  @Test
  void collectsPropertiesInOrderLaterValuesWinning() {
    SparkOptions o = SparkOptions.parse(null, List.of("spark.executor.memory=4g", "spark.task.cpus = 2",
        "spark.executor.memory=6g", "spark.executorEnv.OMP_NUM_THREADS=1=x"));
    assertThat(o.master()).isEmpty();
    assertThat(o.conf()).containsExactly(java.util.Map.entry("spark.executor.memory", "6g"),
        java.util.Map.entry("spark.task.cpus", "2"), java.util.Map.entry("spark.executorEnv.OMP_NUM_THREADS", "1=x"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "spark.executor.memory|--conf spark.executor.memory: expected KEY=VALUE, e.g. spark.executor.memory=4g",
      "=4g|--conf =4g: expected KEY=VALUE, e.g. spark.executor.memory=4g",
      "executor.memory=4g|--conf executor.memory=4g: executor.memory is not a Spark property (they start with"
          + " spark.); Spark would ignore it",
      "spark.master=local|--conf spark.master=local: give the master with --master",
      "spark.task.maxFailures=many|--conf spark.task.maxFailures=many: spark.task.maxFailures should be int, but"
          + " was many",
      "spark.ui.enabled=maybe|--conf spark.ui.enabled=maybe: spark.ui.enabled should be boolean, but was maybe"})
  void refusesMalformedPropertiesInOneLine(String conf, String message) {
    assertThatThrownBy(() -> SparkOptions.parse(null, List.of(conf))).isInstanceOf(SparkSetupException.class)
        .hasMessage(message);
  }

  @Test
  void refusesASizeSparkCannotRead() {
    assertThatThrownBy(() -> SparkOptions.parse(null, List.of("spark.executor.memory=lots")))
        .isInstanceOf(SparkSetupException.class)
        .hasMessageStartingWith("--conf spark.executor.memory=lots: Spark refuses the value: ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void localSlotsAndStandaloneAddresses() {
    assertThat(SparkOptions.localSlots("local")).hasValue(1);
    assertThat(SparkOptions.localSlots("local[3,2]")).hasValue(3);
    assertThat(SparkOptions.localSlots("local[*]")).hasValue(Runtime.getRuntime().availableProcessors());
    assertThat(SparkOptions.localSlots("spark://h:1")).isEqualTo(Optional.empty());
    assertThat(SparkOptions.standaloneMasters("spark://a:1,b:2")).containsExactly("a:1", "b:2");
    assertThat(SparkOptions.standaloneMasters("local[2]")).isEmpty();
  }
}
