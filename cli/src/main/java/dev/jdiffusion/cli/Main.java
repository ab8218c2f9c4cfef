package dev.jdiffusion.cli;

import com.google.inject.Injector;
import dev.jdiffusion.core.Bootstrap;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code ./diffusion} command line. Subcommands get the Guice injector from {@link #injector()}. */
@Command(
    name = "diffusion",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Train, weight, export, sample and score diffusion denoisers.",
    subcommands = {
      CommandLine.HelpCommand.class,
      PluginsCommand.class,
      WeightsCommand.class,
      TrainCommand.class,
      BenchCommand.class,
      SampleCommand.class,
      DataCommand.class,
      FidCommand.class,
      StatsCommand.class,
      ExportCommand.class,
      RunCommand.class,
      CompareCommand.class,
      ExtractorCommand.class,
    })
public final class Main implements Runnable {

  @Option(
      names = "--plugins",
      paramLabel = "DIR",
      scope = ScopeType.INHERIT,
      description = "Also load plugins from the jars in DIR (default: $JDIFFUSION_PLUGINS).")
  Path pluginDirectory = envPath("JDIFFUSION_PLUGINS");

  @Option(
      names = "--stacktrace",
      scope = ScopeType.INHERIT,
      description = "On an error, also print the Java stack trace (or set JDIFFUSION_DEBUG=1).")
  boolean stacktrace;

  private Injector injector;

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** The injector over the class path and the plugin directory, built on first use. */
  Injector injector() {
    if (injector == null) {
      injector = Bootstrap.createInjector(Main.class.getClassLoader(), pluginDirectory);
    }
    return injector;
  }

  private static Path envPath(String name) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? null : Path.of(v);
  }

  /** Runs the command line and returns its exit code; every failure prints one line (see {@link Failures}). */
  public static int execute(String... args) {
    CommandLine cl = commandLine();
    try {
      return cl.execute(args);
    } catch (OutOfMemoryError e) {
      return Failures.handle(e, cl.getErr(), ((Main) cl.getCommand()).stacktrace);
    }
  }

  /** The configured command line, with the error handler that prints user errors as one line. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    // "--plugins plugins plugins": a directory may be named like a subcommand.
    cl.setAllowSubcommandsAsOptionParameters(true);
    standardHelpOptions(cl);
    WordWrapHelp.install(cl);
    cl.setUsageHelpAutoWidth(true); // the terminal's width where it can be found, else 80 columns
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) ->
            Failures.handle(e, commandLine.getErr(), ((Main) cl.getCommand()).stacktrace));
    return cl;
  }

  /** {@code -h, --help} and {@code -V, --version} on every command and subcommand. */
  private static void standardHelpOptions(CommandLine cl) {
    CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
    if (spec.optionsMap().get("--help") == null) {
      spec.mixinStandardHelpOptions(true);
    }
    if (spec.versionProvider() == null) {
      spec.versionProvider(new Version());
    }
    cl.getSubcommands().values().forEach(Main::standardHelpOptions);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** The framework version: the jar's, or "dev" when run from classes. */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Version from the jar manifest, or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"jdiffusion " + (v == null ? "dev" : v)};
    }
  }
}
