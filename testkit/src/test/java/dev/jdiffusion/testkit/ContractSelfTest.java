package dev.jdiffusion.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
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

  /** Hang et al.'s min(SNR, gamma) on the x0-MSE at SNR = 10, 1 and 1/4 (gamma = 5). */
  static <C extends dev.jdiffusion.spi.weighter.WeighterConfig> List<ReferenceWeight<C>> minSnr5(C config) {
    return List.of(
        ReferenceWeight.atLogSnr(config, Math.log(10), 5, "min(10, 5)"),
        ReferenceWeight.atLogSnr(config, 0, 1, "min(1, 5)"),
        ReferenceWeight.atLogSnr(config, Math.log(0.25), 0.25, "min(1/4, 5)"));
  }

  static final class GoodContract extends WeighterContractTest<SamplePlugins.Good.Config> {
    @Override protected SamplePlugins.Good provider() { return new SamplePlugins.Good(); }
    @Override protected List<ReferenceWeight<SamplePlugins.Good.Config>> referenceWeights() {
      return minSnr5(new SamplePlugins.Good.Config(5));
    }
  }

  /** A correct plugin whose test states no reference weights. */
  static final class NoReferencesContract extends WeighterContractTest<SamplePlugins.Good.Config> {
    @Override protected SamplePlugins.Good provider() { return new SamplePlugins.Good(); }
  }

  /** A correct plugin whose test states the weights of another formula (max instead of min). */
  static final class WrongReferencesContract extends WeighterContractTest<SamplePlugins.Good.Config> {
    @Override protected SamplePlugins.Good provider() { return new SamplePlugins.Good(); }
    @Override protected List<ReferenceWeight<SamplePlugins.Good.Config>> referenceWeights() {
      var gamma5 = new SamplePlugins.Good.Config(5);
      return List.of(
          ReferenceWeight.atLogSnr(gamma5, Math.log(10), 10, "max(10, 5)"),
          ReferenceWeight.atLogSnr(gamma5, 0, 5, "max(1, 5)"),
          ReferenceWeight.atTimestep(gamma5, "cosine", 500, 5, "max(SNR, 5) at the cosine midpoint"));
    }
  }

  static final class NanContract extends WeighterContractTest<SamplePlugins.NanAtZeroSnr.Config> {
    @Override protected SamplePlugins.NanAtZeroSnr provider() { return new SamplePlugins.NanAtZeroSnr(); }
    @Override protected List<ReferenceWeight<SamplePlugins.NanAtZeroSnr.Config>> referenceWeights() {
      return minSnr5(new SamplePlugins.NanAtZeroSnr.Config());
    }
  }

  static final class NegativeContract extends WeighterContractTest<SamplePlugins.NegativeAtHighSnr.Config> {
    @Override protected SamplePlugins.NegativeAtHighSnr provider() { return new SamplePlugins.NegativeAtHighSnr(); }
    @Override protected boolean boundedAtZeroSnr() { return false; }
    @Override protected List<ReferenceWeight<SamplePlugins.NegativeAtHighSnr.Config>> referenceWeights() {
      var c = new SamplePlugins.NegativeAtHighSnr.Config();
      var linear = ReferenceSchedules.linear(ReferenceSchedules.TIMESTEPS);
      return List.of(
          ReferenceWeight.atTimestep(c, "linear", 0, (20 - linear.logSnr(0)) / 40, "the ramp at t = 0"),
          ReferenceWeight.atTimestep(c, "linear", 500, (20 - linear.logSnr(500)) / 40, "the ramp at t = 500"),
          ReferenceWeight.atTimestep(c, "linear", 999, (20 - linear.logSnr(999)) / 40, "the ramp at t = 999"));
    }
  }

  static final class StatefulContract extends WeighterContractTest<SamplePlugins.Stateful.Config> {
    @Override protected SamplePlugins.Stateful provider() { return new SamplePlugins.Stateful(); }
  }

  static final class WrongSpaceContract extends WeighterContractTest<SamplePlugins.WrongSpace.Config> {
    @Override protected SamplePlugins.WrongSpace provider() { return new SamplePlugins.WrongSpace(); }
    @Override protected List<ReferenceWeight<SamplePlugins.WrongSpace.Config>> referenceWeights() {
      return minSnr5(new SamplePlugins.WrongSpace.Config());
    }
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
  void aTestWithoutReferenceWeightsFailsOnlyThatCheck() {
    assertThat(failures(NoReferencesContract.class)).containsExactly("referenceWeightsFromTheSourceHold");
  }

  @Test
  void referenceWeightsOfAnotherFormulaFailOnlyThatCheck() {
    Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(WrongReferencesContract.class))
        .execute().testEvents();
    // the count passes; each of the three stated weights fails
    assertThat(tests.failed().count()).isEqualTo(3);
    assertThat(failures(WrongReferencesContract.class)).containsExactly("referenceWeightsFromTheSourceHold");
  }

  @Test
  void aNanAtZeroSnrFailsTheFinitenessChecks() {
    assertThat(failures(NanContract.class))
        .containsExactlyInAnyOrder("weightsAreFiniteAndNonNegativeInEveryLossSpace", "weighterIsStableOnTheWholeLogSnrLine");
  }

  @Test
  void aScheduleWeighterNegativeBeyondRealSchedulesFailsTheStabilityCheck() {
    assertThat(failures(NegativeContract.class)).containsExactly("weighterIsStableOnTheWholeLogSnrLine");
  }

  @Test
  void aStatefulWeighterFailsPurity() {
    assertThat(failures(StatefulContract.class)).contains("weighterIsPure");
  }

  @Test
  void aWrongEpsFormFailsTheDeclaredSpaceCheck() {
    assertThat(failures(WrongSpaceContract.class))
        .containsExactlyInAnyOrder("epsWeightIsTheDeclaredWeightConvertedExactly", "weighterIsStableOnTheWholeLogSnrLine");
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
