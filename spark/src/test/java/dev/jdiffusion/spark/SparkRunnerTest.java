package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import org.apache.spark.TaskContext;
import org.junit.jupiter.api.Test;

class SparkRunnerTest {

  @Test
  void withoutAMasterRunsEmbeddedAndRetriesAFailedTask() {
    try (SparkRunner spark = SparkRunner.start(SparkOptions.defaults(), 2, "test")) {
      assertThat(spark.master()).isEqualTo("local[2,4]");
      assertThat(spark.isLocal()).isTrue();
      // Each task fails on its first attempt: local[N] would give up, local[N,F] tries again.
      List<Integer> squares = spark.context().parallelize(List.of(1, 2, 3), 3).map(x -> {
        if (TaskContext.get().attemptNumber() == 0) {
          throw new IllegalStateException("injected failure of task " + x);
        }
        return x * x;
      }).collect();
      assertThat(squares).containsExactly(1, 4, 9);
    }
  }

  @Test
  void aStandaloneMasterThatDoesNotAnswerIsOneLine() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String master = "spark://127.0.0.1:" + port;
    assertThatThrownBy(() -> SparkRunner.start(SparkOptions.parse(master, List.of()), 1, "test"))
        .isInstanceOf(SparkSetupException.class)
        .hasMessageStartingWith("--master " + master + ": no Spark master is reachable at 127.0.0.1:" + port + " (")
        .hasMessageEndingWith("); is the master running and is its port open to this machine?")
        .hasMessageNotContaining("\n");
  }

  @Test
  void aContextSparkRefusesIsOneLine() {
    SparkOptions options = SparkOptions.parse("local[2]", List.of("spark.task.cpus=3"));
    assertThatThrownBy(() -> SparkRunner.start(options, 1, "test"))
        .isInstanceOf(SparkSetupException.class)
        .hasMessageStartingWith("Spark did not start with --master local[2] --conf spark.task.cpus=3: ")
        .hasMessageContaining("spark.task.cpus")
        .hasMessageNotContaining("\n");
  }
}
