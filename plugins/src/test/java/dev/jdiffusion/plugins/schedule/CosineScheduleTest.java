package dev.jdiffusion.plugins.schedule;

import dev.jdiffusion.testkit.ScheduleContractTest;
import java.util.List;

/** The built-in CosineSchedule against the schedule contract of the testkit. */
class CosineScheduleTest extends ScheduleContractTest<CosineSchedule.Config> {
  @Override
  protected CosineSchedule provider() {
    return new CosineSchedule();
  }

  @Override
  protected List<CosineSchedule.Config> configs() {
    return List.of(
        new CosineSchedule.Config(0.008, 0.999),
        new CosineSchedule.Config(0, 0.5),
        new CosineSchedule.Config(0.008, 1));
  }
}
