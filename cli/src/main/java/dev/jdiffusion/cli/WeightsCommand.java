package dev.jdiffusion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.MatchingRule;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.RunConfig;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.pipeline.WeightPlot;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion weights}: the weight of each weighter at every timestep, in the loss space of the
 * chosen parameterization, as a CSV and a plot against log-SNR, plus the smoothed-KL matching rule.
 */
@Command(
    name = "weights",
    description = {
      "Tabulate and plot loss weights per timestep, in the loss space of the parameterization.",
      "Writes weights.csv (t,alphabar,snr,logsnr,<one column per weighter>) and weights.png to --out,"
          + " and prints the smoothed-KL / Min-SNR / Soft-Min-SNR matching rule for the parameters given."
    },
    sortOptions = false)
final class WeightsCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE",
      description = "A run configuration (YAML/JSON); its schedule, parameterization and weighter are used.")
  Path config;

  @Option(names = "--schedule", paramLabel = "SPEC",
      description = "Schedule, e.g. cosine or linear:betaEnd=0.02,timesteps=1000 (default: cosine, or the config's).")
  String schedule;

  @Option(names = "--parameterization", paramLabel = "SPEC",
      description = "eps, x0 or v: the loss space the weights are given in (default: eps, or the config's).")
  String parameterization;

  @Option(names = "--weighter", paramLabel = "SPEC",
      description = "A weighter, e.g. min-snr or smoothed-kl:lambda=0.2 or min-snr:gamma=5,space=eps,normalize=true. Repeatable.")
  List<String> weighters = new ArrayList<>();

  @Option(names = "--normalize", description = "Scale every weighter to mean 1 (eps space, uniform t).")
  boolean normalize;

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("out", "weights");

  @Override
  public Integer call() throws IOException {
    Writable.requireDirectory("--out", out);
    Plugins plugins = main.injector().getInstance(Plugins.class);
    ConfigReader reader = main.injector().getInstance(ConfigReader.class);
    RunConfig run = config == null ? null : reader.read(config, RunConfig.class);

    ScheduleSpec scheduleSpec =
        schedule != null
            ? reader.convert("--schedule " + schedule, ConfigReader.parseOption(schedule), ScheduleSpec.class)
            : run != null ? run.schedule()
            : reader.convert("default schedule", ConfigReader.parseOption("cosine"), ScheduleSpec.class);
    ParameterizationConfig param =
        parameterization != null
            ? reader.convert("--parameterization " + parameterization,
                ConfigReader.parseOption(parameterization), ParameterizationConfig.class)
            : run != null ? run.parameterization()
            : reader.convert("default parameterization", ConfigReader.parseOption("eps"),
                ParameterizationConfig.class);

    List<String> labels = new ArrayList<>();
    List<WeighterSpec> specs = new ArrayList<>();
    if (run != null) {
      labels.add(label(reader.json().valueToTree(run.weighter())));
      specs.add(run.weighter());
    }
    for (String w : weighters) {
      labels.add(w);
      specs.add(reader.convert("--weighter " + w, ConfigReader.parseOption(w), WeighterSpec.class));
    }
    if (specs.isEmpty()) {
      throw new UserException("name at least one --weighter (e.g. --weighter min-snr), or give --config");
    }

    NoiseSchedule table = plugins.schedule(scheduleSpec);
    List<LossWeights> weights = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      WeighterSpec s = specs.get(i);
      if (normalize && !s.normalize()) {
        s = new WeighterSpec(s.config(), s.space(), true);
      }
      weights.add(plugins.lossWeights(labels.get(i), table, s, param));
    }

    Files.createDirectories(out);
    Path csv = out.resolve("weights.csv");
    writeCsv(csv, table, labels, weights);
    Path png = out.resolve("weights.png");
    WeightPlot.write(png, table, labels, weights,
        "Loss weights in " + plugins.idOf(param) + "-prediction loss space, "
            + plugins.idOf(scheduleSpec.config()) + " schedule, T = " + table.timesteps());

    PrintWriter o = spec.commandLine().getOut();
    o.printf("schedule %s (T = %d), parameterization %s: weights in the %s loss space%n",
        plugins.idOf(scheduleSpec.config()), table.timesteps(), plugins.idOf(param), plugins.idOf(param));
    for (LossWeights w : weights) {
      o.printf(Locale.ROOT, "  %-32s loss weight at t=0: %.6g, t=%d: %.6g, mean %.6g%n",
          w.label(), w.loss(0), table.timesteps() - 1, w.loss(table.timesteps() - 1), mean(w.loss()));
    }
    printCrossWalk(o, reader, specs, labels);
    o.printf("wrote %s%nwrote %s%n", csv, png);
    o.flush();
    return 0;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** {@code name:key=value,...} from a serialized weighter. */
  private static String label(JsonNode node) {
    StringBuilder sb = new StringBuilder(node.path("name").asText());
    String sep = ":";
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().equals("name")) {
        sb.append(sep).append(e.getKey()).append('=').append(e.getValue().asText());
        sep = ",";
      }
    }
    return sb.toString();
  }

  static void writeCsv(Path csv, NoiseSchedule table, List<String> labels, List<LossWeights> weights)
      throws IOException {
    try (Writer w = Files.newBufferedWriter(csv)) {
      StringBuilder header = new StringBuilder("t,alphabar,snr,logsnr");
      for (String l : labels) {
        header.append(',').append(csvField(l));
      }
      w.write(header.append('\n').toString());
      for (int t = 0; t < table.timesteps(); t++) {
        StringBuilder row = new StringBuilder();
        row.append(t).append(',').append(num(table.alphabar(t))).append(',').append(num(table.snr(t)))
            .append(',').append(num(table.logSnr(t)));
        for (LossWeights lw : weights) {
          row.append(',').append(num(lw.loss(t)));
        }
        w.write(row.append('\n').toString());
      }
    }
  }

  /** Full double precision, shortest round-trip form; "-inf" style never appears except logSNR at zero SNR. */
  private static String num(double v) {
    return Double.toString(v);
  }

  /** RFC 4180: quote a field that holds a comma or a quote. */
  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }

  private void printCrossWalk(PrintWriter o, ConfigReader reader, List<WeighterSpec> specs, List<String> labels) {
    List<String> lines = new ArrayList<>();
    for (WeighterSpec s : specs) {
      ObjectNode node = reader.json().valueToTree(s.config());
      String name = node.path("name").asText();
      switch (name) {
        case "smoothed-kl" -> {
          double lambda = node.path("lambda").asDouble();
          lines.add(String.format(Locale.ROOT,
              "smoothed-kl lambda=%s  ~ min-snr gamma=%s (leading order, high SNR)  = soft-min-snr gamma=%s x %s (exact)",
              fmt(lambda), fmt(MatchingRule.minSnrGamma(lambda)), fmt(MatchingRule.softMinSnrGamma(lambda)),
              fmt(MatchingRule.softMinSnrScale(lambda))));
        }
        case "min-snr" -> {
          double gamma = node.path("gamma").asDouble();
          double lambda = MatchingRule.lambdaForMinSnr(gamma);
          lines.add(String.format(Locale.ROOT,
              "min-snr gamma=%s  ~ smoothed-kl lambda=%s (leading order)  = soft-min-snr gamma=%s x %s",
              fmt(gamma), fmt(lambda), fmt(MatchingRule.softMinSnrGamma(lambda)),
              fmt(MatchingRule.softMinSnrScale(lambda))));
        }
        case "soft-min-snr" -> {
          double gamma = node.path("gamma").asDouble();
          if (gamma > 1) {
            double lambda = MatchingRule.lambdaForSoftMinSnr(gamma);
            lines.add(String.format(Locale.ROOT,
                "soft-min-snr gamma=%s  = smoothed-kl lambda=%s / %s (exact)  ~ min-snr gamma=%s (leading order)",
                fmt(gamma), fmt(lambda), fmt(MatchingRule.softMinSnrScale(lambda)),
                fmt(MatchingRule.minSnrGamma(lambda))));
          } else {
            lines.add("soft-min-snr gamma=" + fmt(gamma) + ": no smoothed-kl match (needs gamma > 1)");
          }
        }
        default -> { }
      }
    }
    if (!lines.isEmpty()) {
      o.println("matching rule (eps space; smoothed-kl = sigma^2/(sigma^2+lambda)):");
      lines.stream().distinct().forEach(l -> o.println("  " + l));
    }
  }

  private static String fmt(double v) {
    String s = String.format(Locale.ROOT, "%.6g", v);
    if (s.contains(".") && !s.contains("e")) {
      s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return s;
  }
}
