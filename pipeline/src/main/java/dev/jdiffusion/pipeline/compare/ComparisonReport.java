package dev.jdiffusion.pipeline.compare;

import dev.jdiffusion.pipeline.compare.ComparisonStats.MeanTrajectory;
import dev.jdiffusion.pipeline.compare.ComparisonStats.Trajectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/**
 * The report of a comparison: {@code report.md} with its tables, one FID-trajectory plot per schedule
 * ({@code fid-SCHEDULE.png}, mean over seeds with the seed standard deviation as error bars), and the
 * numbers behind the tables as CSV ({@code fid.csv}, {@code gaps.csv}, {@code thresholds.csv},
 * {@code null.csv}). The statistics are {@link TrajectoryStats}' (docs/compare.md defines each); the weight
 * plots are written by {@code Comparison}.
 */
public final class ComparisonReport {
  private ComparisonReport() {}

  /**
   * What the report says about how the numbers were made.
   *
   * @param command the command line that produced the comparison
   * @param scheduleFiles a file-name-safe form of each schedule label, in the order of {@code schedules}
   * @param schedules schedule labels in configuration order
   * @param weighters weighter labels in configuration order
   * @param reference the weighter the others are measured against (DDPM's {@code uniform} when present)
   * @param configJson the resolved configuration
   * @param extractor the FID extractor's description
   * @param incomplete runs left out, each with the reason
   * @param samples images per scored checkpoint
   * @param samplingSteps sampler steps
   * @param sampler sampler name, as {@code Samplers.create} takes it
   * @param spacing the sampler's timestep grid, e.g. {@code trailing}
   * @param evaluations the sampler's network evaluations per image on each schedule, in the order of
   *     {@code schedules}
   * @param minutes wall time of the invocation that wrote the report
   * @param firstSeed the seed whose sample grids are shown
   * @param grids per schedule, then per weighter (row-major), the relative path of the first seed's
   *     sample grid at the last checkpoint, or null when there is none
   * @param warmupSteps the runs' learning-rate warm-up, for the window without the first checkpoint after it
   * @param lossSpace the parameterization whose loss the weights multiply (e.g. {@code eps})
   * @param meanWeights per schedule, then per weighter (row-major), the mean loss-space weight under
   *     uniformly drawn timesteps
   */
  public record Setup(String command, List<String> scheduleFiles, List<String> schedules, List<String> weighters,
      String reference, String configJson, String extractor, List<String> incomplete, int samples,
      int samplingSteps, String sampler, String spacing, List<Integer> evaluations, double minutes, long firstSeed, List<String> grids, long warmupSteps,
      String lossSpace, List<Double> meanWeights) {}

  /** {@code 10 network evaluations per image}, or per schedule where they differ. */
  static String evaluations(Setup setup) {
    List<Integer> n = setup.evaluations();
    if (n.stream().distinct().count() <= 1) {
      return (n.isEmpty() ? "?" : n.get(0)) + " network evaluations per image";
    }
    List<String> each = new ArrayList<>();
    for (int s = 0; s < n.size(); s++) {
      each.add(n.get(s) + " on " + setup.schedules().get(s));
    }
    return "network evaluations per image: " + String.join(", ", each);
  }

  /** Writes the report, plots and CSV files into {@code dir}. */
  public static void write(Path dir, Setup setup, List<Trajectory> runs) throws IOException {
    List<MeanTrajectory> means = runs.isEmpty() ? List.of() : ComparisonStats.average(runs);
    StringBuilder md = new StringBuilder();
    StringBuilder gapsCsv = new StringBuilder(
        "schedule,window,a,b,seed,signed_gap,unsigned_gap,signed_low,signed_high,unsigned_low,unsigned_high\n");
    StringBuilder thresholdsCsv = new StringBuilder("schedule,rule,trajectory,threshold,reference_checkpoint,"
        + "reference_outcome,reference_step,weighter,outcome,step,earlier\n");
    StringBuilder nullCsv = new StringBuilder("schedule,weighter,seed_a,seed_b,signed_gap,unsigned_gap,"
        + "signed_gap_after_warmup,unsigned_gap_after_warmup,earlier_first_reach,earlier_stay_below\n");
    md.append("# Loss-weighting comparison\n\n");
    md.append("Command: `").append(setup.command()).append("`\n\n");
    md.append(String.format(Locale.ROOT, "FID of %d samples per checkpoint (sampler %s, %s spacing, %d steps: %s)"
            + " against the test split, features from `%s`. Not Inception-v3 FIDs: compare them only with each"
            + " other. At each seed and checkpoint every weighter is sampled from the same starting noise; two"
            + " seeds, or two checkpoints, share none.%n%n",
        setup.samples(), setup.sampler(), setup.spacing(), setup.samplingSteps(), evaluations(setup),
        setup.extractor()));
    md.append(String.format(Locale.ROOT, "%d complete runs; this invocation took %.1f min.%n%n", runs.size(),
        setup.minutes()));
    if (!setup.incomplete().isEmpty()) {
      md.append("Left out (incomplete):\n\n");
      setup.incomplete().forEach(s -> md.append("- ").append(s).append('\n'));
      md.append('\n');
    }

    md.append("## Final FID\n\n| schedule | weighter | mean | std | seeds |\n| --- | --- | --- | --- | --- |\n");
    for (MeanTrajectory m : means) {
      List<String> perSeed = new ArrayList<>();
      for (Trajectory r : runs) {
        if (r.schedule().equals(m.schedule()) && r.weighter().equals(m.weighter())) {
          perSeed.add(String.format(Locale.ROOT, "%d: %.2f", r.seed(), r.fid()[r.fid().length - 1]));
        }
      }
      md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %s |%n", m.schedule(), m.weighter(), m.last(),
          m.std()[m.std().length - 1], String.join(", ", perSeed)));
    }

    for (int s = 0; s < setup.schedules().size(); s++) {
      String schedule = setup.schedules().get(s);
      List<MeanTrajectory> group = means.stream().filter(m -> m.schedule().equals(schedule)).toList();
      if (group.isEmpty()) {
        continue;
      }
      md.append("\n## ").append(schedule).append(" schedule\n\n");
      String png = "fid-" + setup.scheduleFiles().get(s) + ".png";
      plot(dir.resolve(png), schedule, group);
      md.append("![FID trajectories](").append(png).append(")\n\n");
      md.append("Mean FID over seeds (± sample std) at each checkpoint:\n\n| step |");
      group.forEach(m -> md.append(' ').append(m.weighter()).append(" |"));
      md.append("\n| --- |");
      group.forEach(m -> md.append(" --- |"));
      md.append('\n');
      long[] steps = group.get(0).steps();
      for (int i = 0; i < steps.length; i++) {
        md.append("| ").append(steps[i]).append(" |");
        for (MeanTrajectory m : group) {
          md.append(String.format(Locale.ROOT, " %.2f ± %.2f |", m.mean()[i], m.std()[i]));
        }
        md.append('\n');
      }

      Optional<MeanTrajectory> ref = group.stream().filter(m -> m.weighter().equals(setup.reference())).findFirst();
      Sections sections = new Sections(setup, schedule, group, runs, s);
      sections.meanWeights(md);
      sections.gaps(md, gapsCsv);
      ref.ifPresent(r -> sections.ratios(md, r));
      sections.nullCheck(md, nullCsv);
      ref.ifPresent(r -> sections.thresholds(md, thresholdsCsv, r));
      md.append("\n![loss weights](weights-").append(setup.scheduleFiles().get(s)).append(".png)\n");
      StringBuilder row = new StringBuilder();
      StringBuilder head = new StringBuilder();
      int shown = 0;
      for (int w = 0; w < setup.weighters().size(); w++) {
        String grid = setup.grids().get(s * setup.weighters().size() + w);
        if (grid != null) {
          head.append(" ").append(setup.weighters().get(w)).append(" |");
          row.append(" ![").append(setup.weighters().get(w)).append("](").append(grid).append(") |");
          shown++;
        }
      }
      if (row.length() > 0) {
        md.append("\nSamples at the last checkpoint, seed ").append(setup.firstSeed()).append(":\n\n|")
            .append(head).append("\n|").append(" --- |".repeat(shown))
            .append("\n|").append(row).append('\n');
      }
    }

    md.append("\n## Configuration\n\n```json\n").append(setup.configJson()).append("\n```\n");
    md.append("\nCSV: `fid.csv` (every score), `gaps.csv`, `thresholds.csv`, `null.csv`. Definitions:"
        + " docs/compare.md.\n");

    StringBuilder fidCsv = new StringBuilder("schedule,weighter,seed,step,fid\n");
    for (Trajectory r : runs) {
      for (int i = 0; i < r.steps().length; i++) {
        fidCsv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.6f%n", csv(r.schedule()), csv(r.weighter()),
            r.seed(), r.steps()[i], r.fid()[i]));
      }
    }
    Files.writeString(dir.resolve("fid.csv"), fidCsv, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("gaps.csv"), gapsCsv, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("thresholds.csv"), thresholdsCsv, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("null.csv"), nullCsv, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("report.md"), md, StandardCharsets.UTF_8);
  }

  /** The statistics sections of one schedule. */
  private static final class Sections {
    private final Setup setup;
    private final String schedule;
    private final List<MeanTrajectory> group;
    private final List<Trajectory> runs;
    private final int scheduleIndex;
    private final long[] steps;

    Sections(Setup setup, String schedule, List<MeanTrajectory> group, List<Trajectory> runs, int scheduleIndex) {
      this.setup = setup;
      this.schedule = schedule;
      this.group = group;
      this.runs = runs;
      this.scheduleIndex = scheduleIndex;
      this.steps = group.get(0).steps();
    }

    /** The complete runs of {@code weighter} at {@code seeds}, in that order, as {@code [seed][checkpoint]}. */
    double[][] fid(String weighter, List<Long> seeds) {
      double[][] out = new double[seeds.size()][];
      for (int i = 0; i < seeds.size(); i++) {
        long seed = seeds.get(i);
        out[i] = runs.stream().filter(r -> r.schedule().equals(schedule) && r.weighter().equals(weighter)
            && r.seed() == seed).findFirst().orElseThrow().fid();
      }
      return out;
    }

    List<Long> seeds(String weighter) {
      return runs.stream().filter(r -> r.schedule().equals(schedule) && r.weighter().equals(weighter))
          .map(Trajectory::seed).toList();
    }

    /** The seeds at which both weighters have a complete run: the pairs. */
    List<Long> commonSeeds(String a, String b) {
      List<Long> sb = seeds(b);
      return seeds(a).stream().filter(sb::contains).toList();
    }

    void meanWeights(StringBuilder md) {
      md.append("\nMean loss weight (on the ").append(setup.lossSpace()).append("-MSE, timesteps drawn uniformly;"
          + " it scales the gradient, which AdamW largely normalizes away, and interacts with gradient"
          + " clipping):\n\n| weighter | mean weight | relative to ").append(setup.reference())
          .append(" |\n| --- | --- | --- |\n");
      int n = setup.weighters().size();
      int refIndex = setup.weighters().indexOf(setup.reference());
      double ref = refIndex < 0 ? Double.NaN : setup.meanWeights().get(scheduleIndex * n + refIndex);
      for (int w = 0; w < n; w++) {
        double m = setup.meanWeights().get(scheduleIndex * n + w);
        md.append(String.format(Locale.ROOT, "| %s | %.4g | %s |%n", setup.weighters().get(w), m,
            Double.isFinite(ref) && ref > 0 ? String.format(Locale.ROOT, "%.4f", m / ref) : "-"));
      }
    }

    void gaps(StringBuilder md, StringBuilder csv) {
      md.append("\nGaps FID(a) - FID(b), paired by seed. Per seed: the mean over the checkpoints of the window"
          + " of the signed difference (positive: a is worse) and of its absolute value (the paper's statistic,"
          + " on one trajectory). Over seeds: the mean of those, with a 95% t-interval over seeds; and |gap| of"
          + " the seed means (the mean over checkpoints of |mean FID(a) - mean FID(b)|). Windows: all"
          + " intermediate checkpoints (all but the last), and the same without the first checkpoint after"
          + " warm-up (" + setup.warmupSteps() + " steps).\n\n"
          + "| window | a | b | signed, per seed | signed, mean [95% CI] | unsigned, per seed"
          + " | unsigned, mean [95% CI] | unsigned of seed means |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
      for (TrajectoryStats.Window window : TrajectoryStats.Window.values()) {
        int[] idx = TrajectoryStats.window(steps, setup.warmupSteps(), window);
        if (idx.length == 0) {
          continue;
        }
        for (int a = 0; a < group.size(); a++) {
          for (int b = a + 1; b < group.size(); b++) {
            String wa = group.get(a).weighter();
            String wb = group.get(b).weighter();
            List<Long> seeds = commonSeeds(wa, wb);
            if (seeds.isEmpty()) {
              continue;
            }
            TrajectoryStats.PairedGaps g = TrajectoryStats.pairedGaps(fid(wa, seeds), fid(wb, seeds), idx);
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", windowLabel(window),
                wa, wb, perSeed(seeds, g.signed().values(), "%+.2f"), withInterval(g.signed(), "%+.2f"),
                perSeed(seeds, g.unsigned().values(), "%.2f"), withInterval(g.unsigned(), "%.2f"),
                num(g.unsignedOfSeedMeans())));
            String prefix = csv(schedule) + "," + windowId(window) + "," + csv(wa) + "," + csv(wb) + ",";
            for (int i = 0; i < g.signed().n(); i++) {
              csv.append(prefix).append(seeds.get(i)).append(',').append(d(g.signed().values()[i])).append(',')
                  .append(d(g.unsigned().values()[i])).append(",,,,\n");
            }
            csv.append(prefix).append("mean,").append(d(g.signed().mean())).append(',')
                .append(d(g.unsigned().mean())).append(',').append(d(g.signed().lower())).append(',')
                .append(d(g.signed().upper())).append(',').append(d(g.unsigned().lower())).append(',')
                .append(d(g.unsigned().upper())).append('\n');
            csv.append(prefix).append("seed-means,").append(d(g.signed().mean())).append(',')
                .append(d(g.unsignedOfSeedMeans())).append(",,,,\n");
          }
        }
      }
    }

    /** The paper's trajectory-level matching: |a - b| against each one's |gap| to the reference. */
    void ratios(StringBuilder md, MeanTrajectory ref) {
      List<MeanTrajectory> others = group.stream().filter(m -> m != ref).toList();
      if (others.size() < 2) {
        return;
      }
      md.append("\nTrajectory-level matching (the paper's \"|Ours - Min-SNR| about 3x tighter than either one's"
          + " gap to DDPM\"): the unsigned gap of a and b over each one's unsigned gap to ").append(ref.weighter())
          .append(", per seed (the paper's single-trajectory statistic) and of the seed means; below 1: a and b"
          + " are closer to each other than to ").append(ref.weighter()).append(".\n\n"
          + "| window | a | b | per seed: gap / a's, gap / b's | seed means: gap / a's, gap / b's |\n"
          + "| --- | --- | --- | --- | --- |\n");
      for (TrajectoryStats.Window window : TrajectoryStats.Window.values()) {
        int[] idx = TrajectoryStats.window(steps, setup.warmupSteps(), window);
        if (idx.length == 0) {
          continue;
        }
        for (int a = 0; a < others.size(); a++) {
          for (int b = a + 1; b < others.size(); b++) {
            String wa = others.get(a).weighter();
            String wb = others.get(b).weighter();
            List<Long> seeds = commonSeeds(wa, wb).stream()
                .filter(commonSeeds(wa, ref.weighter())::contains).filter(commonSeeds(wb, ref.weighter())::contains)
                .toList();
            if (seeds.isEmpty()) {
              continue;
            }
            double[][] fa = fid(wa, seeds);
            double[][] fb = fid(wb, seeds);
            double[][] fr = fid(ref.weighter(), seeds);
            List<String> per = new ArrayList<>();
            for (int i = 0; i < seeds.size(); i++) {
              double ab = TrajectoryStats.unsignedGap(fa[i], fb[i], idx);
              per.add(String.format(Locale.ROOT, "%d: %s, %s", seeds.get(i),
                  num(ab / TrajectoryStats.unsignedGap(fa[i], fr[i], idx)),
                  num(ab / TrajectoryStats.unsignedGap(fb[i], fr[i], idx))));
            }
            double[] ma = TrajectoryStats.seedMean(fa);
            double[] mb = TrajectoryStats.seedMean(fb);
            double[] mr = TrajectoryStats.seedMean(fr);
            double ab = TrajectoryStats.unsignedGap(ma, mb, idx);
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s, %s |%n", windowLabel(window), wa, wb,
                String.join("; ", per), num(ab / TrajectoryStats.unsignedGap(ma, mr, idx)),
                num(ab / TrajectoryStats.unsignedGap(mb, mr, idx))));
          }
        }
      }
    }

    void nullCheck(StringBuilder md, StringBuilder csv) {
      StringBuilder rows = new StringBuilder();
      double sum = 0;
      int pairs = 0;
      for (MeanTrajectory m : group) {
        List<Long> seeds = seeds(m.weighter());
        if (seeds.size() < 2) {
          continue;
        }
        long[] seedArray = seeds.stream().mapToLong(Long::longValue).toArray();
        for (TrajectoryStats.NullPair p : TrajectoryStats.nullCheck(seedArray, steps, fid(m.weighter(), seeds),
            setup.warmupSteps())) {
          rows.append(String.format(Locale.ROOT, "| %s | %d vs %d | %s | %s | %s | %s | %s | %s |%n", m.weighter(),
              p.seedA(), p.seedB(), signed(p.signed()), num(p.unsigned()), signed(p.signedAfterWarmup()),
              num(p.unsignedAfterWarmup()), earlier(p.firstReach()), earlier(p.stayBelow())));
          csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%s,%s,%s,%s,%s,%s%n", csv(schedule),
              csv(m.weighter()), p.seedA(), p.seedB(), d(p.signed()), d(p.unsigned()), d(p.signedAfterWarmup()),
              d(p.unsignedAfterWarmup()), d(p.firstReach().mean()), d(p.stayBelow().mean())));
          sum += p.unsigned();
          pairs++;
        }
      }
      if (pairs == 0) {
        md.append("\nNull check: needs two seeds of a weighter; there is one.\n");
        return;
      }
      md.append("\nNull check: two seeds of one weighter put through the same single-trajectory statistics (seed"
          + " a in the place of a, seed b in the place of b and of the reference). Nothing differs but the seed,"
          + " so this is what the statistics read when nothing differs. Two seeds share nothing, while two"
          + " weighters at one seed share initialization, data order and noise, so a paired gap due to chance"
          + " alone is usually smaller than these.\n\n"
          + "| weighter | seeds | signed | unsigned | signed, after warm-up | unsigned, after warm-up"
          + " | earlier, first reach | earlier, stay below |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
          .append(rows);
      md.append(String.format(Locale.ROOT, "%nMean unsigned gap of these %d pairs (all intermediate"
          + " checkpoints): %.2f.%n", pairs, sum / pairs));
    }

    void thresholds(StringBuilder md, StringBuilder csv, MeanTrajectory ref) {
      int[] mid = TrajectoryStats.midTraining(steps.length);
      for (TrajectoryStats.Rule rule : TrajectoryStats.Rule.values()) {
        String ruleText = rule == TrajectoryStats.Rule.FIRST_REACH
            ? "first reach it (the first time at or below it)" : "stay at or below it from then on";
        md.append("\nTraining steps to ").append(ruleText).append(", for ").append(ref.weighter())
            .append("'s own FIDs at its mid-training checkpoints (steps ");
        for (int i = 0; i < mid.length; i++) {
          md.append(i == 0 ? "" : ", ").append(steps[mid[i]]);
        }
        md.append("), linearly interpolated between checkpoints; \"earlier\" is 1 - steps / ")
            .append(ref.weighter()).append("'s steps. A run already at or below a threshold at its first"
                + " checkpoint (step ").append(steps[0]).append(") reached it at an unknown earlier step: censored,"
                + " shown as \"<= ").append(steps[0]).append(" (censored)\" and left out of every mean, as is a"
                + " threshold the reference itself reaches censored. On the seed means:\n\n| threshold (")
            .append(ref.weighter()).append(" at step) |");
        group.forEach(m -> md.append(' ').append(m.weighter()).append(" |"));
        md.append("\n| --- |");
        group.forEach(m -> md.append(" --- |"));
        md.append('\n');
        List<TrajectoryStats.ThresholdSummary> summaries = new ArrayList<>();
        List<List<Long>> seedsOf = new ArrayList<>();
        for (MeanTrajectory m : group) {
          List<Long> seeds = commonSeeds(m.weighter(), ref.weighter());
          seedsOf.add(seeds);
          summaries.add(seeds.isEmpty() ? null : TrajectoryStats.thresholdSummary(steps,
              fid(ref.weighter(), seeds), fid(m.weighter(), seeds), rule));
          if (!seeds.isEmpty()) {
            for (int i = 0; i < seeds.size(); i++) {
              List<TrajectoryStats.Threshold> perSeed = TrajectoryStats.thresholds(steps,
                  fid(ref.weighter(), seeds)[i], fid(m.weighter(), seeds)[i], rule);
              thresholdRows(csv, rule, String.valueOf(seeds.get(i)), m.weighter(), perSeed);
            }
            thresholdRows(csv, rule, "mean", m.weighter(), summaries.get(summaries.size() - 1)
                .thresholdsOfSeedMeans());
          }
        }
        for (int i = 0; i < mid.length; i++) {
          TrajectoryStats.Threshold any = summaries.stream().filter(x -> x != null).findFirst().orElseThrow()
              .thresholdsOfSeedMeans().get(i);
          md.append(String.format(Locale.ROOT, "| %.2f (%d) |", any.value(), steps[any.checkpoint()]));
          for (TrajectoryStats.ThresholdSummary sum : summaries) {
            if (sum == null) {
              md.append(" - |");
              continue;
            }
            TrajectoryStats.Threshold t = sum.thresholdsOfSeedMeans().get(i);
            md.append(' ').append(crossing(t.run(), rule));
            if (t.earlier().isPresent()) {
              md.append(String.format(Locale.ROOT, " (%+.0f%%)", 100 * t.earlier().getAsDouble()));
            } else if (t.reference().outcome() == TrajectoryStats.Outcome.CENSORED
                && t.run().outcome() != TrajectoryStats.Outcome.CENSORED) {
              md.append(" (reference censored)");
            }
            md.append(" |");
          }
          md.append('\n');
        }
        md.append("| mean earlier, seed means |");
        summaries.forEach(x -> md.append(' ').append(x == null ? "-" : earlier(x.ofSeedMeans())).append(" |"));
        md.append("\n| mean earlier, per seed (the paper's single-trajectory statistic) |");
        for (int g = 0; g < group.size(); g++) {
          TrajectoryStats.ThresholdSummary x = summaries.get(g);
          if (x == null) {
            md.append(" - |");
            continue;
          }
          List<String> parts = new ArrayList<>();
          for (int i = 0; i < x.perSeed().size(); i++) {
            parts.add(seedsOf.get(g).get(i) + ": " + earlier(x.perSeed().get(i)));
          }
          md.append(' ').append(String.join("; ", parts)).append(" |");
        }
        md.append("\n| mean of the per-seed means [95% CI] |");
        summaries.forEach(x -> md.append(' ').append(x == null || x.overSeeds().n() == 0 ? "-"
            : withInterval(percent(x.overSeeds()), "%+.0f%%")).append(" |"));
        md.append('\n');
      }
    }

    private void thresholdRows(StringBuilder csv, TrajectoryStats.Rule rule, String trajectory, String weighter,
        List<TrajectoryStats.Threshold> rows) {
      for (TrajectoryStats.Threshold t : rows) {
        csv.append(String.join(",", csv(schedule), rule.name().toLowerCase(Locale.ROOT).replace('_', '-'),
            trajectory, d(t.value()), String.valueOf(steps[t.checkpoint()]),
            t.reference().outcome().name().toLowerCase(Locale.ROOT).replace('_', '-'), d(t.reference().step()),
            csv(weighter), t.run().outcome().name().toLowerCase(Locale.ROOT).replace('_', '-'), d(t.run().step()),
            t.earlier().isPresent() ? d(t.earlier().getAsDouble()) : "")).append('\n');
      }
    }

    private String crossing(TrajectoryStats.Crossing c, TrajectoryStats.Rule rule) {
      return switch (c.outcome()) {
        case REACHED -> String.format(Locale.ROOT, "%.0f", c.step());
        case CENSORED -> "<= " + steps[0] + " (censored)";
        case NOT_REACHED -> rule == TrajectoryStats.Rule.FIRST_REACH ? "not reached" : "not for good";
      };
    }

    private static String earlier(TrajectoryStats.Earlier e) {
      StringBuilder sb = new StringBuilder(e.counted() == 0 ? "-"
          : String.format(Locale.ROOT, "%+.0f%%", 100 * e.mean()));
      sb.append(" (").append(e.counted()).append(" of ").append(e.total());
      if (e.censored() > 0) {
        sb.append("; ").append(e.censored()).append(" censored");
      }
      if (e.notReached() > 0) {
        sb.append("; ").append(e.notReached()).append(" not reached");
      }
      return sb.append(')').toString();
    }

    private static TrajectoryStats.Estimate percent(TrajectoryStats.Estimate e) {
      double[] v = e.values().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] *= 100;
      }
      return TrajectoryStats.estimate(v);
    }

    private static String perSeed(List<Long> seeds, double[] values, String format) {
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        parts.add(seeds.get(i) + ": " + (Double.isFinite(values[i])
            ? String.format(Locale.ROOT, format, values[i]) : "-"));
      }
      return String.join(", ", parts);
    }

    private static String withInterval(TrajectoryStats.Estimate e, String format) {
      if (!Double.isFinite(e.mean())) {
        return "-";
      }
      String mean = String.format(Locale.ROOT, format, e.mean());
      if (!e.hasInterval()) {
        return mean + " (one seed)";
      }
      return mean + " [" + String.format(Locale.ROOT, format, e.lower()) + ", "
          + String.format(Locale.ROOT, format, e.upper()) + "]";
    }

    private static String signed(double v) {
      return Double.isFinite(v) ? String.format(Locale.ROOT, "%+.2f", v) : "-";
    }

    private static String windowLabel(TrajectoryStats.Window w) {
      return w == TrajectoryStats.Window.INTERMEDIATE ? "all intermediate" : "after warm-up + 1";
    }

    private static String windowId(TrajectoryStats.Window w) {
      return w == TrajectoryStats.Window.INTERMEDIATE ? "intermediate" : "after-first-post-warmup";
    }
  }

  private static String d(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6f", v) : "";
  }

  private static String num(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "-";
  }

  /** Labels such as {@code p2(k=1,gamma=1)} hold commas: quote them for CSV. */
  private static String csv(String s) {
    return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }

  private static void plot(Path png, String schedule, List<MeanTrajectory> group) throws IOException {
    XYChart chart = new XYChartBuilder().width(900).height(520)
        .title("FID during training, " + schedule + " schedule (mean over seeds, bars: std)")
        .xAxisTitle("training step").yAxisTitle("FID").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setXAxisDecimalPattern("#");
    for (MeanTrajectory m : group) {
      double[] x = new double[m.steps().length];
      for (int i = 0; i < x.length; i++) {
        x[i] = m.steps()[i];
      }
      XYSeries series = chart.addSeries(m.weighter() + " (" + m.seeds() + " seeds)", x, m.mean(), m.std());
      series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
