package dev.jdiffusion.cli;

import dev.jdiffusion.core.ParameterInfo;
import dev.jdiffusion.core.PluginEntry;
import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.core.PluginRegistry;
import dev.jdiffusion.core.ScheduleSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion plugins}: every discovered plugin by kind, with its parameters and where it came
 * from (the class path or a jar of the plugin directory), then each plugin jar with what it contributed,
 * then what failed to load. Exits with 1 when something failed, so scripts notice a broken jar.
 */
@Command(
    name = "plugins",
    description = {
      "List every discovered plugin by kind: id, description, parameters, defaults, and where it came from.",
      "With --plugins DIR (or $JDIFFUSION_PLUGINS), also each jar of DIR and what failed to load;"
          + " exits with 1 if anything failed."
    })
final class PluginsCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PluginRegistry registry = main.injector().getInstance(PluginRegistry.class);
    PrintWriter out = spec.commandLine().getOut();
    for (PluginKind kind : PluginKind.values()) {
      out.printf("%ss (%d)%n", kind.label(), registry.list(kind).size());
      List<ParameterInfo> shared = SHARED.getOrDefault(kind, List.of());
      if (!shared.isEmpty()) {
        out.printf("  every %s also takes:%n", kind.label());
        shared.forEach(p -> parameter(out, p));
      }
      for (PluginEntry e : registry.list(kind)) {
        out.printf("  %-16s %s%n", e.id(), e.description());
        for (ParameterInfo p : e.parameters()) {
          parameter(out, p);
        }
        out.printf("      source: %s (%s)%n", e.source(), origin(registry, e));
      }
      out.println();
    }
    registry.pluginDirectory().ifPresent(dir -> {
      out.printf("plugin directory %s: %d jar(s)%n", dir, registry.pluginJars().size());
      for (Path jar : registry.pluginJars()) {
        List<String> ids = new ArrayList<>();
        for (PluginKind kind : PluginKind.values()) {
          for (PluginEntry e : registry.list(kind)) {
            if (e.source().equals(jar.toString())) {
              ids.add(kind.label() + " " + e.id());
            }
          }
        }
        out.printf("  %s: %s%n", jar.getFileName(), ids.isEmpty() ? "no plugins" : String.join(", ", ids));
      }
      out.println();
    });
    if (!registry.failures().isEmpty()) {
      out.printf("failed to load (%d):%n", registry.failures().size());
      registry.failures().forEach(f -> out.printf("  %s: %s%n", f.source(), f.message()));
      spec.commandLine().getErr().printf(
          "error: %d plugin(s) failed to load; see 'failed to load' above%n", registry.failures().size());
    }
    out.flush();
    return registry.failures().isEmpty() ? 0 : 1;
  }

  /**
   * The options every plugin of a kind takes, read by core around the plugin's own parameters
   * ({@code ScheduleSpec}, {@code WeighterSpec}).
   */
  static final Map<PluginKind, List<ParameterInfo>> SHARED = Map.of(
      PluginKind.SCHEDULE, List.of(
          new ParameterInfo("timesteps", "int", "number of timesteps T, >= 2", Optional.of(
              Integer.toString(ScheduleSpec.DEFAULT_TIMESTEPS))),
          new ParameterInfo("zeroTerminalSnr", "boolean", "rescale so that the last timestep has SNR 0"
              + " (Lin et al. 2024)", Optional.of("false"))),
      PluginKind.WEIGHTER, List.of(
          new ParameterInfo("space", "eps|x0|v", "apply the formula to this MSE instead of its declared one",
              Optional.of("declared")),
          new ParameterInfo("normalize", "boolean", "scale to mean 1 in eps space over uniform timesteps",
              Optional.of("false"))));

  private static void parameter(PrintWriter out, ParameterInfo p) {
    out.printf("      %-14s %-8s %-22s %s%n", p.name(), p.type(),
        p.defaultValue().map(d -> "default " + d).orElse("required"), p.description());
  }

  private static String origin(PluginRegistry registry, PluginEntry e) {
    for (Path jar : registry.pluginJars()) {
      if (e.source().equals(jar.toString())) {
        return "plugin directory";
      }
    }
    return "class path";
  }
}
