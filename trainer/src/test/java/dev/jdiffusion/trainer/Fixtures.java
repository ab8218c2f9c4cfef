package dev.jdiffusion.trainer;

import dev.jdiffusion.core.Bootstrap;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.unet.UNetConfig;
import com.google.inject.Injector;
import java.util.List;

/** Plugins through the real registry, a tiny network and a small in-memory dataset. */
final class Fixtures {
  private static Injector injector;

  private Fixtures() {}

  static synchronized Injector injector() {
    if (injector == null) {
      injector = Bootstrap.createInjector(Fixtures.class.getClassLoader(), null);
    }
    return injector;
  }

  static Plugins plugins() {
    return injector().getInstance(Plugins.class);
  }

  static ConfigReader reader() {
    return injector().getInstance(ConfigReader.class);
  }

  static ScheduleSpec schedule(String option) {
    return reader().convert(option, ConfigReader.parseOption(option), ScheduleSpec.class);
  }

  static ParameterizationConfig parameterization(String option) {
    return reader().convert(option, ConfigReader.parseOption(option), ParameterizationConfig.class);
  }

  static WeighterSpec weighter(String option) {
    return reader().convert(option, ConfigReader.parseOption(option), WeighterSpec.class);
  }

  /** The objective of a schedule, parameterization and weighter, each in command-line form. */
  static WeightedDenoisingLoss objective(String schedule, String parameterization, String weighter) {
    Plugins plugins = plugins();
    NoiseSchedule table = plugins.schedule(schedule(schedule));
    ParameterizationConfig p = parameterization(parameterization);
    LossWeights w = plugins.lossWeights(weighter, table, weighter(weighter), p);
    return WeightedDenoisingLoss.of(table, plugins.parameterization(p), w);
  }

  /** A UNet small enough for CI: 1x8x8 images, base 8, two levels, attention at 4x4. */
  static UNetConfig tinyNet() {
    return new UNetConfig(1, 8, 8, List.of(1, 2), 1, List.of(4), 0);
  }

  /**
   * {@code n} 1x8x8 images: a bright square of side 3 at one of four positions on a dark background, with
   * a deterministic brightness; pixels in [-1, 1].
   */
  static DatasetSource squares(int n) {
    return new DatasetSource() {
      @Override
      public ImageShape shape() {
        return new ImageShape(1, 8, 8);
      }

      @Override
      public int size() {
        return n;
      }

      @Override
      public void read(int index, float[] dest, int offset) {
        int corner = index % 4;
        int top = corner < 2 ? 1 : 4;
        int left = corner % 2 == 0 ? 1 : 4;
        float level = 0.5f + 0.5f * ((index * 7) % 5) / 4f;
        for (int y = 0; y < 8; y++) {
          for (int x = 0; x < 8; x++) {
            boolean in = y >= top && y < top + 3 && x >= left && x < left + 3;
            dest[offset + y * 8 + x] = in ? level : -1f;
          }
        }
      }
    };
  }

  /** Training options for small tests. */
  static TrainConfig.Training training(int steps, int batch, double lr, int checkpointEvery) {
    return training(steps, batch, lr, checkpointEvery, "fp32");
  }

  /** Training options for small tests in {@code precision}. */
  static TrainConfig.Training training(int steps, int batch, double lr, int checkpointEvery, String precision) {
    return new TrainConfig.Training(steps, batch, lr, 0, null, null, null, null, 1.0, 0.99, true,
        checkpointEvery, 2, 7L, 1, "cpu", precision);
  }
}
