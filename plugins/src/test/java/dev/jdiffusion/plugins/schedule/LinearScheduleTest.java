package dev.jdiffusion.plugins.schedule;

import dev.jdiffusion.testkit.ScheduleContractTest;
import java.util.List;

/** The built-in LinearSchedule against the schedule contract of the testkit. */
class LinearScheduleTest extends ScheduleContractTest<LinearSchedule.Config> {
  @Override
  protected LinearSchedule provider() {
    return new LinearSchedule();
  }

  @Override
  protected List<LinearSchedule.Config> configs() {
    return List.of(
        new LinearSchedule.Config(1e-4, 0.02),
        new LinearSchedule.Config(1e-3, 1e-3),
        new LinearSchedule.Config(1e-4, 0.5));
  }
}
