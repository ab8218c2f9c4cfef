package dev.jdiffusion.cli;

import dev.jdiffusion.core.ParameterInfo;
import dev.jdiffusion.core.PluginEntry;
import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.core.PluginRegistry;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code ./diffusion plugins}: every discovered plugin by kind, with its parameters and source jar. */
@Command(name = "plugins", description = "List every discovered plugin by kind: id, description, parameters, defaults, source.")
final class PluginsCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PluginRegistry registry = main.injector().getInstance(PluginRegistry.class);
    PrintWriter out = spec.commandLine().getOut();
    for (PluginKind kind : PluginKind.values()) {
      out.printf("%ss (%d)%n", kind.label(), registry.list(kind).size());
      for (PluginEntry e : registry.list(kind)) {
        out.printf("  %-16s %s%n", e.id(), e.description());
        for (ParameterInfo p : e.parameters()) {
          out.printf(
              "      %-14s %-8s %-22s %s%n",
              p.name(),
              p.type(),
              p.defaultValue().map(d -> "default " + d).orElse("required"),
              p.description());
        }
        out.printf("      source: %s%n", e.source());
      }
      out.println();
    }
    if (!registry.failures().isEmpty()) {
      out.println("failed to load:");
      registry.failures().forEach(f -> out.printf("  %s: %s%n", f.source(), f.message()));
    }
    out.flush();
    return registry.failures().isEmpty() ? 0 : 1;
  }
}
