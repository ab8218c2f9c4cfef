/**
 * Contract tests that a plugin author extends: {@link dev.jdiffusion.testkit.WeighterContractTest},
 * {@link dev.jdiffusion.testkit.ScheduleContractTest} and
 * {@link dev.jdiffusion.testkit.ParameterizationContractTest}. Each checks what the framework relies on
 * (a kebab-case id, the {@code META-INF/services} line in the plugin's own jar, a config that round-trips
 * through JSON and YAML with its defaults, pure and finite numbers) on the reference schedules of
 * {@link dev.jdiffusion.testkit.ReferenceSchedules}, in the way JUnit's {@code EngineTestKit} and diffusers'
 * {@code SchedulerCommonTest} serve their plugin authors.
 *
 * <pre>{@code
 * class SigmoidWeighterTest extends WeighterContractTest<SigmoidWeighter.Config> {
 *   @Override protected SigmoidWeighter provider() { return new SigmoidWeighter(); }
 * }
 * }</pre>
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
package dev.jdiffusion.testkit;

import org.apiguardian.api.API;
