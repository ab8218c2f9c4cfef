package dev.jdiffusion.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The contracts fail on plugins that break them, and only on the rule broken: each sample plugin's
 * contract test is run with JUnit's {@link EngineTestKit} and the names of the failing tests are checked.
 * (The contract classes below are static nested classes, which Surefire does not run by itself.)
 */
class ContractSelfTest {

  static final class GoodContract extends WeighterContractTest<SamplePlugins.Good.Config> {
    @Override protected SamplePlugins.Good provider() { return new SamplePlugins.Good(); }
  }

  static final class NanContract extends WeighterContractTest<SamplePlugins.NanAtZeroSnr.Config> {
    @Override protected SamplePlugins.NanAtZeroSnr provider() { return new SamplePlugins.NanAtZeroSnr(); }
  }

  static final class StatefulContract extends WeighterContractTest<SamplePlugins.Stateful.Config> {
    @Override protected SamplePlugins.Stateful provider() { return new SamplePlugins.Stateful(); }
  }

  static final class WrongSpaceContract extends WeighterContractTest<SamplePlugins.WrongSpace.Config> {
    @Override protected SamplePlugins.WrongSpace provider() { return new SamplePlugins.WrongSpace(); }
  }

  static final class UnlistedContract extends WeighterContractTest<SamplePlugins.Unlisted.Config> {
    @Override protected SamplePlugins.Unlisted provider() { return new SamplePlugins.Unlisted(); }
  }

  static final class ShortScheduleContract extends ScheduleContractTest<SamplePlugins.ShortSchedule.Config> {
    @Override protected SamplePlugins.ShortSchedule provider() { return new SamplePlugins.ShortSchedule(); }
  }

  static final class SignErrorContract extends ParameterizationContractTest<SamplePlugins.SignError.Config> {
    @Override protected SamplePlugins.SignError provider() { return new SamplePlugins.SignError(); }
  }

  /** The names of the failed tests (for a dynamic test, of its factory) of one contract class. */
  private static Set<String> failures(Class<?> contract) {
    Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(contract)).execute().testEvents();
    assertThat(tests.started().count()).as("tests run for %s", contract.getSimpleName()).isPositive();
    Set<String> names = new TreeSet<>();
    for (Event e : tests.failed().list()) {
      String id = e.getTestDescriptor().getUniqueId().toString();
      int method = id.indexOf("[method:");
      int factory = id.indexOf("[test-factory:");
      int start = method >= 0 ? method + 8 : factory + 14;
      names.add(id.substring(start, id.indexOf('(', start)));
    }
    return names;
  }

  @Test
  void aCorrectPluginPassesEveryCheck() {
    assertThat(failures(GoodContract.class)).isEmpty();
  }

  @Test
  void aNanAtZeroSnrFailsTheFinitenessChecks() {
    assertThat(failures(NanContract.class))
        .containsExactlyInAnyOrder("weightsAreFiniteAndNonNegativeInEveryLossSpace", "snrWeighterIsStableOnTheWholeLogSnrLine");
  }

  @Test
  void aStatefulWeighterFailsPurity() {
    assertThat(failures(StatefulContract.class)).contains("weighterIsPure");
  }

  @Test
  void aWrongEpsFormFailsTheDeclaredSpaceCheck() {
    assertThat(failures(WrongSpaceContract.class))
        .contains("epsWeightIsTheDeclaredWeightConvertedExactly", "snrWeighterIsStableOnTheWholeLogSnrLine");
  }

  @Test
  void anUnlistedProviderWithABadIdFailsThoseChecks() {
    assertThat(failures(UnlistedContract.class))
        .contains("listedInMetaInfServicesOfItsOwnJar", "idIsKebabCase");
  }

  @Test
  void betasOfTheWrongLengthFailTheScheduleContract() {
    assertThat(failures(ShortScheduleContract.class)).contains("betasMakeAValidSchedule");
  }

  @Test
  void aSignErrorFailsTheEstimateCheck() {
    assertThat(failures(SignErrorContract.class)).containsExactly("estimatesAreExactWhenTheOutputEqualsTheTarget");
  }
}
