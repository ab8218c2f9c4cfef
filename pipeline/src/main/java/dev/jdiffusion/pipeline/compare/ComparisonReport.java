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
import java.util.OptionalDouble;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/**
 * The report of a comparison: {@code report.md} with its tables, one FID-trajectory plot per schedule
 * ({@code fid-SCHEDULE.png}, mean over seeds with the seed standard deviation as error bars), and the
 * numbers behind the tables as CSV ({@code fid.csv}, {@code gaps.csv}, {@code thresholds.csv}). The
 * statistics are {@link ComparisonStats}'; the weight plots are written by {@code Comparison}.
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
   * @param sampler sampler name
   * @param minutes wall time of the invocation that wrote the report
   * @param firstSeed the seed whose sample grids are shown
   * @param grids per schedule, then per weighter (row-major), the relative path of the first seed's
   *     sample grid at the last checkpoint, or null when there is none
   */
  public record Setup(String command, List<String> scheduleFiles, List<String> schedules, List<String> weighters,
      String reference, String configJson, String extractor, List<String> incomplete, int samples,
      int samplingSteps, String sampler, double minutes, long firstSeed, List<String> grids) {}

  /** Writes the report, plots and CSV files into {@code dir}. */
  public static void write(Path dir, Setup setup, List<Trajectory> runs) throws IOException {
    List<MeanTrajectory> means = runs.isEmpty() ? List.of() : ComparisonStats.average(runs);
    StringBuilder md = new StringBuilder();
    StringBuilder gapsCsv = new StringBuilder("schedule,a,b,mean_abs_gap,a_gap_to_reference,b_gap_to_reference\n");
    StringBuilder thresholdsCsv = new StringBuilder("schedule,threshold,reference_step,weighter,step,earlier\n");
    md.append("# Loss-weighting comparison\n\n");
    md.append("Command: `").append(setup.command()).append("`\n\n");
    md.append(String.format(Locale.ROOT, "FID of %d %s-%d samples per checkpoint against the test split, features"
            + " from `%s`. Not Inception-v3 FIDs: compare them only with each other. At each seed every weighter"
            + " is sampled from the same starting noise.%n%n",
        setup.samples(), setup.sampler().toUpperCase(Locale.ROOT), setup.samplingSteps(), setup.extractor()));
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
      md.append("\nMean |FID(a) - FID(b)| over the intermediate checkpoints (all but the last), of the seed means");
      ref.ifPresent(r -> md.append("; and each one's mean gap to ").append(r.weighter()));
      md.append(":\n\n| a | b | mean abs gap | a's gap to ref | b's gap to ref | gap / a's | gap / b's |\n")
          .append("| --- | --- | --- | --- | --- | --- | --- |\n");
      for (int a = 0; a < group.size(); a++) {
        for (int b = a + 1; b < group.size(); b++) {
          MeanTrajectory ma = group.get(a);
          MeanTrajectory mb = group.get(b);
          double gap = ComparisonStats.meanAbsoluteGap(ma, mb);
          double ga = ref.map(r -> ComparisonStats.meanAbsoluteGap(ma, r)).orElse(Double.NaN);
          double gb = ref.map(r -> ComparisonStats.meanAbsoluteGap(mb, r)).orElse(Double.NaN);
          md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %s | %s | %s | %s |%n", ma.weighter(),
              mb.weighter(), gap, num(ga), num(gb), num(gap / ga), num(gap / gb)));
          gapsCsv.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.6f,%.6f%n", csv(schedule),
              csv(ma.weighter()), csv(mb.weighter()), gap, ga, gb));
        }
      }
      md.append("\nSeed noise: mean |FID(seed i) - FID(seed j)| of one weighter over the same checkpoints. Two"
          + " weighters that do not differ at all would still show a gap between seed means of about this"
          + " divided by sqrt(seeds):\n\n| weighter | seed gap | / sqrt(seeds) |\n| --- | --- | --- |\n");
      for (MeanTrajectory m : group) {
        OptionalDouble noise = ComparisonStats.meanSeedGap(runs, schedule, m.weighter());
        md.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", m.weighter(),
            noise.isPresent() ? num(noise.getAsDouble()) : "one seed",
            noise.isPresent() ? num(noise.getAsDouble() / Math.sqrt(m.seeds())) : "-"));
      }

      if (ref.isPresent()) {
        MeanTrajectory r = ref.get();
        double[] thresholds = ComparisonStats.midTrainingThresholds(r);
        int from = Math.max(1, steps.length - 1) / 3;
        md.append("\nTraining steps to reach ").append(r.weighter())
            .append("'s own mean FID at its mid-training checkpoints (the middle third of the intermediate ones)"
                + " and stay there (linearly interpolated between checkpoints); \"earlier\" is 1 - steps / ")
            .append(r.weighter()).append("'s steps:\n\n| threshold (").append(r.weighter()).append(" at step) |");
        group.forEach(m -> md.append(' ').append(m.weighter()).append(" |"));
        md.append("\n| --- |");
        group.forEach(m -> md.append(" --- |"));
        md.append('\n');
        double[] sumEarlier = new double[group.size()];
        int[] counted = new int[group.size()];
        for (int i = 0; i < thresholds.length; i++) {
          long refStep = steps[from + i];
          OptionalDouble refSteps = ComparisonStats.stepsToReach(r, thresholds[i]);
          md.append(String.format(Locale.ROOT, "| %.2f (%d) |", thresholds[i], refStep));
          for (int g = 0; g < group.size(); g++) {
            MeanTrajectory m = group.get(g);
            OptionalDouble reached = ComparisonStats.stepsToReach(m, thresholds[i]);
            if (reached.isEmpty()) {
              md.append(" not for good |");
              thresholdsCsv.append(String.format(Locale.ROOT, "%s,%.6f,%d,%s,,%n", csv(schedule), thresholds[i],
                  refStep, csv(m.weighter())));
              continue;
            }
            if (refSteps.isEmpty()) {
              // the reference itself does not stay below its own mid-training FID: nothing to compare with
              md.append(String.format(Locale.ROOT, " %.0f |", reached.getAsDouble()));
              thresholdsCsv.append(String.format(Locale.ROOT, "%s,%.6f,%d,%s,%.1f,%n", csv(schedule),
                  thresholds[i], refStep, csv(m.weighter()), reached.getAsDouble()));
              continue;
            }
            double earlier = 1 - reached.getAsDouble() / refSteps.getAsDouble();
            sumEarlier[g] += earlier;
            counted[g]++;
            md.append(String.format(Locale.ROOT, " %.0f (%+.0f%%) |", reached.getAsDouble(), 100 * earlier));
            thresholdsCsv.append(String.format(Locale.ROOT, "%s,%.6f,%d,%s,%.1f,%.4f%n", csv(schedule),
                thresholds[i], refStep, csv(m.weighter()), reached.getAsDouble(), earlier));
          }
          md.append('\n');
        }
        md.append("| mean earlier |");
        for (int g = 0; g < group.size(); g++) {
          md.append(counted[g] == 0 ? " - |"
              : String.format(Locale.ROOT, " %+.0f%% (%d of %d) |", 100 * sumEarlier[g] / counted[g], counted[g],
                  thresholds.length));
        }
        md.append('\n');
      }
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
    md.append("\nCSV: `fid.csv` (every score), `gaps.csv`, `thresholds.csv`.\n");

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
    Files.writeString(dir.resolve("report.md"), md, StandardCharsets.UTF_8);
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
