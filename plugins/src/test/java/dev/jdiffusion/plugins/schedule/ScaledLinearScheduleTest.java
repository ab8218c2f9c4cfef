package dev.jdiffusion.plugins.schedule;

import dev.jdiffusion.testkit.ScheduleContractTest;
import java.util.List;

/** The built-in ScaledLinearSchedule against the schedule contract of the testkit. */
class ScaledLinearScheduleTest extends ScheduleContractTest<ScaledLinearSchedule.Config> {
  @Override
  protected ScaledLinearSchedule provider() {
    return new ScaledLinearSchedule();
  }

  @Override
  protected List<ScaledLinearSchedule.Config> configs() {
    return List.of(
        new ScaledLinearSchedule.Config(0.00085, 0.012));
  }
}
