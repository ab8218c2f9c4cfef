package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two runs trained at the same time in one JVM (as Spark's local mode and a multi-core executor do) give,
 * bit for bit, the losses each gives alone: neither the gradient recording nor the seeded initialization is
 * shared between threads.
 */
class ConcurrentTrainingTest {
  static final int STEPS = 4;
  /** A small network without attention, like the one {@code compare --quick} trains. */
  static final UNetConfig NETWORK = new UNetConfig(1, 8, 8, List.of(1, 2), 1, List.of(), 0);

  static List<Double> train(long seed, CyclicBarrier inStep) throws Exception {
    TrainConfig.Training options = Fixtures.training(STEPS, 8, 3e-3, 1000).withSeedAndCheckpoints(seed, 1000, 2);
    List<Double> losses = new ArrayList<>();
    if (inStep != null) {
      inStep.await(60, TimeUnit.SECONDS); // both threads build their trainer at once
    }
    try (DiffusionTrainer trainer = new DiffusionTrainer(NETWORK, options,
        Fixtures.objective("cosine", "eps", "uniform"), Fixtures.squares(16), Device.cpu())) {
      for (int i = 0; i < STEPS; i++) {
        if (inStep != null) {
          inStep.await(60, TimeUnit.SECONDS); // and step together, so their collectors overlap
        }
        losses.add(trainer.trainStep().loss());
      }
    }
    return losses;
  }

  @Test
  void concurrentRunsReproduceTheirSoloLosses() throws Exception {
    List<Double> alone1 = train(1, null);
    List<Double> alone2 = train(2, null);
    assertThat(alone1).isNotEqualTo(alone2); // the seeds matter, so a mix-up would show
    CyclicBarrier barrier = new CyclicBarrier(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<List<Double>> run1 = pool.submit(() -> train(1, barrier));
      Future<List<Double>> run2 = pool.submit(() -> train(2, barrier));
      assertThat(run1.get(5, TimeUnit.MINUTES)).isEqualTo(alone1);
      assertThat(run2.get(5, TimeUnit.MINUTES)).isEqualTo(alone2);
    } finally {
      pool.shutdownNow();
    }
  }
}
