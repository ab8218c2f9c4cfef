package dev.jdiffusion.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code ./diffusion} that {@link DocsTest} puts into the directory where it runs a document's commands:
 * {@link Main}, with the reduced arguments that the document's {@code docs-test: args} marker gives for
 * a command applied ({@code $DOCS_ARGS}, e.g. {@code run=--steps 2 --samples 20; sample=--n 16}). An
 * option the command line already has gets the reduced value; one it lacks is added.
 */
final class DocsLauncher {
  private DocsLauncher() {}

  public static void main(String[] args) {
    System.exit(Main.execute(apply(parse(System.getenv("DOCS_ARGS")), args).toArray(String[]::new)));
  }

  /** {@code run=--steps 2; bench train=--steps 1} as command to arguments. */
  static Map<String, List<String>> parse(String spec) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return m;
    }
    for (String part : spec.split(";")) {
      int eq = part.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("docs-test args: expected command=arguments, found '" + part + "'");
      }
      m.put(part.substring(0, eq).trim(), List.of(part.substring(eq + 1).trim().split("\\s+")));
    }
    return m;
  }

  /** The command line with the reduced arguments of its (sub)command applied. */
  static List<String> apply(Map<String, List<String>> overrides, String[] args) {
    List<String> out = new ArrayList<>(List.of(args));
    String command = command(args);
    List<String> extra = overrides.get(command);
    if (extra == null) {
      return out;
    }
    for (int i = 0; i < extra.size(); i++) {
      String option = extra.get(i);
      boolean hasValue = i + 1 < extra.size() && !extra.get(i + 1).startsWith("--");
      int at = out.indexOf(option);
      if (hasValue) {
        String value = extra.get(++i);
        if (at >= 0 && at + 1 < out.size()) {
          out.set(at + 1, value);
        } else {
          out.add(option);
          out.add(value);
        }
      } else if (at < 0) {
        out.add(option);
      }
    }
    return out;
  }

  /** The subcommand a command line runs: its first word that is not an option (two words for bench). */
  static String command(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--plugins")) {
        i++;
        continue;
      }
      if (!args[i].startsWith("-")) {
        return args[i].equals("bench") && i + 1 < args.length ? "bench " + args[i + 1] : args[i];
      }
    }
    return "";
  }
}
