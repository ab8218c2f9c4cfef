package dev.jdiffusion.pipeline.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.Crossing;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.Earlier;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.Estimate;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.NullPair;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.Outcome;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.PairedGaps;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.Rule;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.Threshold;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.ThresholdSummary;
import dev.jdiffusion.pipeline.compare.TrajectoryStats.Window;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link TrajectoryStats} against values computed by hand (in the comments) and against SciPy's Student t
 * distribution, run in a python3 child process (Debian's python3-scipy, which CI installs).
 */
class TrajectoryStatsTest {
  static final long[] STEPS = {100, 200, 300, 400, 500, 600, 700, 800};
  /** A reference that improves at every checkpoint; its mid-training thresholds are 40, 33, 28. */
  static final double[] REF = {70, 50, 40, 33, 28, 25, 23, 22};
  /** A run that is ahead of it. */
  static final double[] RUN = {60, 45, 36, 30, 26, 24, 22, 21};

  /** Runs a python3 snippet that prints JSON. */
  static JsonNode python(String script) throws Exception {
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    Process p = new ProcessBuilder(python, "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("python3 failed:%n%s", out).isZero();
    return new ObjectMapper().readTree(out);
  }

  @Test
  void tQuantilesAgreeWithScipyAndWithPrintedTables() throws Exception {
    JsonNode ref = python("""
        import json
        from scipy import stats
        print(json.dumps([[p, df, stats.t.ppf(p, df)] for p in (0.9, 0.975, 0.995) for df in range(1, 31)]))
        """);
    assertThat(ref.size()).isEqualTo(90);
    for (JsonNode row : ref) {
      double expected = row.get(2).asDouble();
      assertThat(TrajectoryStats.tQuantile(row.get(0).asDouble(), row.get(1).asInt()))
          .as("t(%s, %s)", row.get(0), row.get(1)).isCloseTo(expected, within(1e-8 * expected));
    }
    // SciPy's quantiles are good to a few 1e-9 (t(0.9, 3) = 1.637744357 there); a 30-digit root of the
    // CDF (mpmath: 1 - I_{3/(3+t^2)}(3/2, 1/2) / 2 = 0.9) is 1.63774435369621011.
    assertThat(TrajectoryStats.tQuantile(0.9, 3)).isCloseTo(1.63774435369621011, within(1e-14));
    // The two-sided 95% column of the usual tables (e.g. NIST/SEMATECH e-Handbook, section 1.3.6.7.2).
    assertThat(TrajectoryStats.tQuantile(0.975, 1)).isCloseTo(12.706, within(5e-4));
    assertThat(TrajectoryStats.tQuantile(0.975, 2)).isCloseTo(4.303, within(5e-4));
    assertThat(TrajectoryStats.tQuantile(0.975, 4)).isCloseTo(2.776, within(5e-4));
    assertThat(TrajectoryStats.tQuantile(0.975, 9)).isCloseTo(2.262, within(5e-4));
  }

  @Test
  void intervalsAreScipysTIntervals() throws Exception {
    double[][] samples = {{2, 4, 9}, {-1.5, 0.25}, {0.3, -0.2, 0.1, 0.45, -0.05}, {7, 7.5, 6.25, 8, 7.75, 6.5}};
    JsonNode ref = python("""
        import json
        from scipy import stats
        import numpy as np
        out = []
        for x in %s:
            x = np.array(x, dtype=float)
            lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
            out.append([x.mean(), lo, hi])
        print(json.dumps(out))
        """.formatted(new ObjectMapper().writeValueAsString(samples)));
    for (int i = 0; i < samples.length; i++) {
      Estimate e = TrajectoryStats.estimate(samples[i]);
      assertThat(e.mean()).isCloseTo(ref.get(i).get(0).asDouble(), within(1e-12));
      assertThat(e.lower()).isCloseTo(ref.get(i).get(1).asDouble(), within(1e-9));
      assertThat(e.upper()).isCloseTo(ref.get(i).get(2).asDouble(), within(1e-9));
    }
    // By hand: {2, 4, 9} has mean 5, s = sqrt(13), so the half-width is 4.3027 sqrt(13) / sqrt(3) = 8.957.
    assertThat(TrajectoryStats.estimate(new double[] {2, 4, 9}).halfWidth()).isCloseTo(8.957, within(1e-3));
    Estimate one = TrajectoryStats.estimate(new double[] {3});
    assertThat(one.mean()).isEqualTo(3);
    assertThat(one.hasInterval()).isFalse();
    assertThat(TrajectoryStats.estimate(new double[0]).mean()).isNaN();
  }

  @Test
  void windowsLeaveOutTheLastCheckpointAndOptionallyTheFirstAfterWarmUp() {
    long[] steps = {60, 120, 180, 240, 300, 360, 420, 480};
    assertThat(TrajectoryStats.window(steps, 50, Window.INTERMEDIATE)).containsExactly(0, 1, 2, 3, 4, 5, 6);
    // warm-up ends at 50: step 60 is the first checkpoint after it
    assertThat(TrajectoryStats.window(steps, 50, Window.AFTER_FIRST_POST_WARMUP)).containsExactly(1, 2, 3, 4, 5, 6);
    // warm-up of 60 steps: 120 is the first after it; 60 (inside warm-up) goes too
    assertThat(TrajectoryStats.window(steps, 60, Window.AFTER_FIRST_POST_WARMUP)).containsExactly(2, 3, 4, 5, 6);
    assertThat(TrajectoryStats.window(new long[] {10}, 0, Window.INTERMEDIATE)).containsExactly(0);
    assertThat(TrajectoryStats.window(new long[] {10}, 0, Window.AFTER_FIRST_POST_WARMUP)).isEmpty();
  }

  @Test
  void pairedGapsPerSeedOverSeedsAndOfTheSeedMeans() {
    long[] steps = {60, 120, 180, 240};
    double[][] a = {{10, 8, 6, 5}, {12, 9, 7, 4}};
    double[][] b = {{11, 7, 6, 3}, {11, 10, 9, 4}};
    PairedGaps all = TrajectoryStats.pairedGaps(a, b, TrajectoryStats.window(steps, 50, Window.INTERMEDIATE));
    // seed 0: a - b = -1, 1, 0 -> signed 0, unsigned 2/3; seed 1: 1, -1, -2 -> signed -2/3, unsigned 4/3
    assertThat(all.signed().values()).containsExactly(new double[] {0, -2.0 / 3}, within(1e-15));
    assertThat(all.unsigned().values()).containsExactly(new double[] {2.0 / 3, 4.0 / 3}, within(1e-15));
    assertThat(all.signed().mean()).isCloseTo(-1.0 / 3, within(1e-15));
    assertThat(all.unsigned().mean()).isCloseTo(1, within(1e-15));
    // two seeds: s = (2/3) / sqrt(2) for both, half-width t(0.975, 1) s / sqrt(2) = 12.7062 / 3 = 4.2354
    assertThat(all.signed().halfWidth()).isCloseTo(4.2354, within(1e-4));
    assertThat(all.unsigned().halfWidth()).isCloseTo(4.2354, within(1e-4));
    assertThat(all.signed().excludesZero()).isFalse();
    // seed means: a = 11, 8.5, 6.5; b = 11, 8.5, 7.5 -> |gaps| 0, 0, 1
    assertThat(all.unsignedOfSeedMeans()).isCloseTo(1.0 / 3, within(1e-15));

    PairedGaps late = TrajectoryStats.pairedGaps(a, b,
        TrajectoryStats.window(steps, 50, Window.AFTER_FIRST_POST_WARMUP));
    // checkpoints 120 and 180: seed 0: 1, 0; seed 1: -1, -2
    assertThat(late.signed().values()).containsExactly(0.5, -1.5);
    assertThat(late.unsigned().values()).containsExactly(0.5, 1.5);
    assertThat(late.unsignedOfSeedMeans()).isCloseTo(0.5, within(1e-15)); // |0|, |-1|

    assertThatThrownBy(() -> TrajectoryStats.pairedGaps(a, new double[][] {b[0]}, new int[] {0}))
        .hasMessageContaining("same seeds");
  }

  @Test
  void aConsistentSignShowsInTheSignedGapAndItsInterval() {
    // b is 2 +- 0.5 worse at every checkpoint of three seeds: the unsigned gap hides nothing here, but the
    // signed one says which is ahead, and its interval excludes 0 (t(0.975, 2) = 4.303).
    double[][] a = {{10, 9, 8, 7, 6}, {11, 9, 8, 7, 5}, {10, 10, 8, 6, 6}};
    double[][] b = {{12, 11, 10, 9, 8}, {13.5, 11.5, 10.5, 9.5, 7}, {11.5, 11.5, 9.5, 7.5, 8}};
    PairedGaps g = TrajectoryStats.pairedGaps(a, b, new int[] {0, 1, 2, 3});
    // seed 0: -2 x 4; seed 1: -2.5 x 4; seed 2: -1.5 x 4 -> mean -2, s = 0.5, half = 4.3027 * 0.5 / sqrt(3)
    assertThat(g.signed().values()).containsExactly(-2, -2.5, -1.5);
    assertThat(g.signed().mean()).isCloseTo(-2, within(1e-15));
    assertThat(g.signed().halfWidth()).isCloseTo(1.2421, within(1e-4));
    assertThat(g.signed().excludesZero()).isTrue();
  }

  @Test
  void firstReachAndStayBelowInterpolateBetweenCheckpoints() {
    // 45 -> 36 across 40: 5/9 of the way from step 200 to 300
    assertThat(TrajectoryStats.crossing(STEPS, RUN, 40, Rule.FIRST_REACH))
        .isEqualTo(new Crossing(Outcome.REACHED, 200 + 500.0 / 9));
    // A dip: 70, 58, 62, 59, ... crosses 60 first between 100 and 200 (10/12 of the way), for good only
    // between 300 and 400 (62 -> 59: 2/3 of the way).
    double[] dip = {70, 58, 62, 59, 57, 56, 55, 54};
    assertThat(TrajectoryStats.crossing(STEPS, dip, 60, Rule.FIRST_REACH).step())
        .isCloseTo(100 + 1000.0 / 12, within(1e-9));
    assertThat(TrajectoryStats.crossing(STEPS, dip, 60, Rule.STAY_BELOW).step())
        .isCloseTo(300 + 200.0 / 3, within(1e-9));
    assertThat(TrajectoryStats.crossing(STEPS, dip, 54.5, Rule.FIRST_REACH).step()).isCloseTo(750, within(1e-9));
    assertThat(TrajectoryStats.crossing(STEPS, dip, 54.5, Rule.STAY_BELOW).step()).isCloseTo(750, within(1e-9));
    assertThat(TrajectoryStats.crossing(STEPS, dip, 53, Rule.FIRST_REACH).outcome()).isEqualTo(Outcome.NOT_REACHED);
    assertThat(TrajectoryStats.crossing(STEPS, dip, 53, Rule.STAY_BELOW).outcome()).isEqualTo(Outcome.NOT_REACHED);
  }

  @Test
  void aRunAlreadyBelowAtTheFirstCheckpointIsCensoredNotACrossing() {
    double[] early = {55, 65, 62, 58, 56, 54, 53, 52};
    // below 60 at step 100 already: when it got there is unknown
    assertThat(TrajectoryStats.crossing(STEPS, early, 60, Rule.FIRST_REACH))
        .isEqualTo(new Crossing(Outcome.CENSORED, 100));
    // but it rose above 60 again, and stays below only from 62 -> 58, half-way from 300 to 400
    assertThat(TrajectoryStats.crossing(STEPS, early, 60, Rule.STAY_BELOW))
        .isEqualTo(new Crossing(Outcome.REACHED, 350));
    // never above 66: censored under both rules
    assertThat(TrajectoryStats.crossing(STEPS, early, 66, Rule.STAY_BELOW).outcome()).isEqualTo(Outcome.CENSORED);
  }

  @Test
  void thresholdsAreTheReferencesMidTrainingFids() {
    // seven intermediate checkpoints: the middle third is indices 2..4
    assertThat(TrajectoryStats.midTraining(8)).containsExactly(2, 3, 4);
    assertThat(TrajectoryStats.midTraining(2)).containsExactly(0);
    List<Threshold> t = TrajectoryStats.thresholds(STEPS, REF, RUN, Rule.FIRST_REACH);
    assertThat(t).extracting(Threshold::value).containsExactly(40.0, 33.0, 28.0);
    // the reference reaches its own FIDs at its own checkpoints (it improves monotonically)
    assertThat(t).extracting(x -> x.reference().step()).containsExactly(300.0, 400.0, 500.0);
    // the run: 45 -> 36 across 40 (255.6), 36 -> 30 across 33 (350), 30 -> 26 across 28 (450)
    assertThat(t.get(0).earlier().getAsDouble()).isCloseTo(1 - (200 + 500.0 / 9) / 300, within(1e-12));
    assertThat(t.get(1).earlier().getAsDouble()).isCloseTo(0.125, within(1e-12));
    assertThat(t.get(2).earlier().getAsDouble()).isCloseTo(0.1, within(1e-12));
    Earlier e = TrajectoryStats.earlier(t);
    assertThat(e.mean()).isCloseTo((0.1481481481 + 0.125 + 0.1) / 3, within(1e-9));
    assertThat(e.counted()).isEqualTo(3);
  }

  @Test
  void censoredThresholdsAreCountedAndLeftOutOfTheMean() {
    // The case: a reference whose FID rose after warm-up (69.9 at the first checkpoint, 79.1 at
    // the first threshold), so it is "below" its own first threshold from the start.
    double[] ref = {69.87, 77.04, 79.14, 77.58, 75.81, 75.44, 73.94, 72.49};
    double[] run = {82.35, 78.73, 77.80, 75.32, 73.00, 70.09, 67.74, 66.45};
    List<Threshold> stay = TrajectoryStats.thresholds(STEPS, ref, run, Rule.STAY_BELOW);
    assertThat(stay.get(0).reference().outcome()).isEqualTo(Outcome.CENSORED);
    assertThat(stay.get(0).censored()).isTrue();
    assertThat(stay.get(0).earlier()).isEmpty();
    Earlier e = TrajectoryStats.earlier(stay);
    assertThat(e.counted()).isEqualTo(2);
    assertThat(e.censored()).isEqualTo(1);
    // The two counted. 77.58: the reference is above it only at 300 (79.14), so it stays below from 400;
    // the run is above it up to 300 (77.80) and crosses towards 75.32 at 400.
    double s1 = 300 + 100 * (77.80 - 77.58) / (77.80 - 75.32);
    assertThat(stay.get(1).reference().step()).isCloseTo(400, within(1e-9));
    assertThat(stay.get(1).earlier().getAsDouble()).isCloseTo(1 - s1 / 400, within(1e-9));
    // 75.81: the reference stays below from 500 (77.58 at 400), the run from 77.80 -> 75.32 again.
    double s3 = 300 + 100 * (77.80 - 75.81) / (77.80 - 75.32);
    assertThat(stay.get(2).reference().step()).isCloseTo(500, within(1e-9));
    assertThat(stay.get(2).earlier().getAsDouble()).isCloseTo(1 - s3 / 500, within(1e-9));
    assertThat(e.mean()).isCloseTo((2 - s1 / 400 - s3 / 500) / 2, within(1e-9));
  }

  @Test
  void summaryPerSeedOverSeedsAndOnTheSeedMeans() {
    // seed 0: REF vs RUN (earlier 0.1481, 0.125, 0.1); seed 1: the same shifted by +2 FID for both
    double[][] ref = {REF, shift(REF, 2)};
    double[][] run = {RUN, shift(RUN, 2)};
    ThresholdSummary s = TrajectoryStats.thresholdSummary(STEPS, ref, run, Rule.FIRST_REACH);
    double mean0 = (1 - (200 + 500.0 / 9) / 300 + 0.125 + 0.1) / 3;
    assertThat(s.perSeed().get(0).mean()).isCloseTo(mean0, within(1e-12));
    // a shift of both trajectories moves the thresholds with them: the same crossings
    assertThat(s.perSeed().get(1).mean()).isCloseTo(mean0, within(1e-12));
    assertThat(s.overSeeds().mean()).isCloseTo(mean0, within(1e-12));
    assertThat(s.overSeeds().halfWidth()).isCloseTo(0, within(1e-12));
    assertThat(s.ofSeedMeans().mean()).isCloseTo(mean0, within(1e-12));
    assertThat(s.thresholdsOfSeedMeans()).extracting(Threshold::value).containsExactly(41.0, 34.0, 29.0);
  }

  @Test
  void theNullCheckComparesTwoSeedsOfOneWeighterWithTheSameStatistics() {
    List<NullPair> pairs = TrajectoryStats.nullCheck(new long[] {3, 8}, STEPS, new double[][] {RUN, REF}, 50);
    assertThat(pairs).hasSize(1);
    NullPair p = pairs.get(0);
    assertThat(p.seedA()).isEqualTo(3);
    assertThat(p.seedB()).isEqualTo(8);
    // RUN - REF over the seven intermediate checkpoints: -10, -5, -4, -3, -2, -1, -1
    assertThat(p.signed()).isCloseTo(-26.0 / 7, within(1e-12));
    assertThat(p.unsigned()).isCloseTo(26.0 / 7, within(1e-12));
    // without step 100 (the first after a warm-up of 50)
    assertThat(p.signedAfterWarmup()).isCloseTo(-16.0 / 6, within(1e-12));
    assertThat(p.unsignedAfterWarmup()).isCloseTo(16.0 / 6, within(1e-12));
    // seed 3 against seed 8's thresholds: both monotone, so the two rules agree
    assertThat(p.firstReach().mean()).isCloseTo((1 - (200 + 500.0 / 9) / 300 + 0.125 + 0.1) / 3, within(1e-12));
    assertThat(p.stayBelow().mean()).isCloseTo(p.firstReach().mean(), within(1e-12));
    // three seeds: three pairs
    assertThat(TrajectoryStats.nullCheck(new long[] {0, 1, 2}, STEPS, new double[][] {REF, RUN, REF}, 50))
        .extracting(NullPair::seedA, NullPair::seedB)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, 1L), org.assertj.core.groups.Tuple.tuple(0L, 2L),
            org.assertj.core.groups.Tuple.tuple(1L, 2L));
  }

  @Test
  void meanWeightIsTheMeanOverTimesteps() {
    assertThat(TrajectoryStats.meanWeight(new double[] {1, 2, 3, 6})).isEqualTo(3);
  }

  static double[] shift(double[] f, double by) {
    double[] out = f.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] += by;
    }
    return out;
  }
}
