package dev.jdiffusion.plugins;

import com.google.inject.Injector;
import dev.jdiffusion.core.Bootstrap;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.List;

/** The built-in plugins as a user gets them: discovered through ServiceLoader, bound by Guice. */
final class Fixtures {
  static final Injector INJECTOR = Bootstrap.createInjector(Fixtures.class.getClassLoader(), null);
  static final Plugins PLUGINS = INJECTOR.getInstance(Plugins.class);
  static final ConfigReader READER = INJECTOR.getInstance(ConfigReader.class);

  static final List<String> SCHEDULES = List.of("linear", "cosine", "scaled-linear");
  static final List<String> PARAMETERIZATIONS = List.of("eps", "x0", "v");

  private Fixtures() {}

  static NoiseSchedule schedule(String option) {
    return PLUGINS.schedule(READER.convert(option, ConfigReader.parseOption(option), ScheduleSpec.class));
  }

  static WeighterSpec weighter(String option) {
    return READER.convert(option, ConfigReader.parseOption(option), WeighterSpec.class);
  }

  static ParameterizationConfig parameterization(String id) {
    return READER.convert(id, ConfigReader.parseOption(id), ParameterizationConfig.class);
  }

  /** Loss-space weights of {@code weighter} on {@code schedule} for parameterization {@code param}. */
  static LossWeights weights(String schedule, String weighter, String param) {
    return PLUGINS.lossWeights(weighter, schedule(schedule), weighter(weighter), parameterization(param));
  }

  static LossWeights weights(NoiseSchedule schedule, String weighter, String param) {
    return PLUGINS.lossWeights(weighter, schedule, weighter(weighter), parameterization(param));
  }
}
