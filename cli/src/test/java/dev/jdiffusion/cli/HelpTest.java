package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/** {@code --help} and {@code -h} on every command and subcommand, and help text that wraps between words. */
class HelpTest {

  /** Every command path, e.g. [], [train], [bench, train], found by walking the command tree. */
  static Map<String, List<String>> commandPaths() {
    Map<String, List<String>> paths = new LinkedHashMap<>();
    walk(Main.commandLine(), new ArrayList<>(), paths);
    return paths;
  }

  private static void walk(CommandLine cl, List<String> path, Map<String, List<String>> paths) {
    paths.put(String.join(" ", path), List.copyOf(path));
    cl.getSubcommands().forEach((name, sub) -> {
      if (sub.getCommandName().equals(name)) { // aliases would repeat a command
        List<String> p = new ArrayList<>(path);
        p.add(name);
        walk(sub, p, paths);
      }
    });
  }

  @Test
  void everyCommandAnswersHelpAndH() {
    Map<String, List<String>> paths = commandPaths();
    assertThat(paths.keySet()).contains("", "train", "run", "plugins", "fid", "stats", "bench", "bench train",
        "bench sample", "compare", "extractor", "sample", "export", "data", "weights");
    for (List<String> path : paths.values()) {
      for (String flag : List.of("--help", "-h")) {
        List<String> args = new ArrayList<>(path);
        args.add(flag);
        var r = WeightsCommandTest.run(args.toArray(String[]::new));
        assertThat(r.exit()).as("%s: %s", args, r.err()).isZero();
        assertThat(r.err()).as("%s", args).isEmpty();
        assertThat(r.out()).as("%s", args)
            .contains("Usage: diffusion" + (path.isEmpty() ? "" : " " + String.join(" ", path)))
            .contains("-h, --help");
      }
    }
  }

  /**
   * At several widths, every word of every command's description and of every option's description appears
   * whole in the help: picocli alone broke "lambda=0.2" after the '.' and "report.md" after the '.'.
   */
  @ParameterizedTest
  @ValueSource(ints = {56, 80, 100, 132})
  void helpWrapsBetweenWordsOnly(int width) {
    for (List<String> path : commandPaths().values()) {
      CommandLine cl = Main.commandLine();
      for (String name : path) {
        cl = cl.getSubcommands().get(name);
      }
      cl.setUsageHelpAutoWidth(false);
      cl.setUsageHelpWidth(width);
      String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
      Set<String> words = new HashSet<>(Arrays.asList(help.split("\\s+")));
      List<String> texts = new ArrayList<>(Arrays.asList(cl.getCommandSpec().usageMessage().description()));
      for (ArgSpec arg : cl.getCommandSpec().args()) {
        texts.addAll(Arrays.asList(arg.description()));
      }
      for (String text : texts) {
        for (String word : String.format(text).split("\\s+")) {
          if (!word.isEmpty() && !word.contains("${") && word.length() < width / 3) {
            assertThat(words).as("'%s' whole in the help of '%s' at width %d:%n%s", word, String.join(" ", path),
                width, help).contains(word);
          }
        }
      }
      for (String line : help.split("\\R")) {
        assertThat(line.length()).as("line of '%s' at width %d: %s", String.join(" ", path), width, line)
            .isLessThanOrEqualTo(width);
      }
    }
  }
}
