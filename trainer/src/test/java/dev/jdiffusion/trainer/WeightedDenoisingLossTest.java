package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.training.ParameterStore;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WeightedDenoisingLossTest {

  /**
   * A fixed "network" {@code out = x_t^2 + t / 1000}, a batch of 3 images of 2x2 pixels, three timesteps:
   * the loss equals the formula evaluated in double precision from the plugins' own tables (tolerance 1e-5
   * relative, float32 arithmetic).
   */
  @ParameterizedTest
  @CsvSource({
    "cosine, eps, min-snr",
    "cosine, v, smoothed-kl:lambda=0.2",
    "linear, x0, p2",
    "scaled-linear, v, vlb",
  })
  void lossEqualsAHandComputation(String schedule, String parameterization, String weighter) {
    Plugins plugins = Fixtures.plugins();
    NoiseSchedule table = plugins.schedule(Fixtures.schedule(schedule));
    var pc = Fixtures.parameterization(parameterization);
    Parameterization param = plugins.parameterization(pc);
    LossWeights weights = plugins.lossWeights(weighter, table, Fixtures.weighter(weighter), pc);
    WeightedDenoisingLoss objective = WeightedDenoisingLoss.of(table, param, weights);

    int[] t = {3, 500, 998};
    double[][] x0 = {{0.5, -1, 0.25, 1}, {-0.5, 0.75, 0, 1}, {1, 1, -1, -0.125}};
    double[][] eps = {{0.3, -1.2, 2.0, 0.1}, {-0.7, 0.4, 1.1, -0.2}, {0.05, -0.5, 0.9, 1.5}};
    Block model = new LambdaBlock(list -> {
      NDArray xt = list.get(0);
      NDArray tt = list.get(1).reshape(-1, 1, 1, 1);
      return new NDList(xt.mul(xt).add(tt.div(1000f)));
    });
    double expected = 0;
    for (int i = 0; i < 3; i++) {
      Coefficients c = param.coefficients(table, t[i]);
      double s = Math.sqrt(table.alphabar(t[i]));
      double sig = Math.sqrt(1 - table.alphabar(t[i]));
      double mse = 0;
      for (int j = 0; j < 4; j++) {
        double xt = s * x0[i][j] + sig * eps[i][j];
        double out = xt * xt + t[i] / 1000.0;
        double target = c.targetX0() * x0[i][j] + c.targetEps() * eps[i][j];
        mse += (out - target) * (out - target) / 4;
      }
      expected += weights.loss(t[i]) * mse / 3;
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(flat(x0), new Shape(3, 1, 2, 2));
      NDArray e = m.create(flat(eps), new Shape(3, 1, 2, 2));
      WeightedDenoisingLoss.Result r = objective.compute(model, new ParameterStore(m, false), x, t, e, false);
      assertThat((double) r.loss().getFloat()).isCloseTo(expected, within(1e-5 * Math.abs(expected) + 1e-7));
      double meanWeight = (weights.loss(3) + weights.loss(500) + weights.loss(998)) / 3;
      assertThat(r.meanWeight()).isCloseTo(meanWeight, within(1e-12 * meanWeight));
    }
  }

  private static float[] flat(double[][] a) {
    float[] f = new float[a.length * a[0].length];
    int k = 0;
    for (double[] row : a) {
      for (double v : row) {
        f[k++] = (float) v;
      }
    }
    return f;
  }
}
