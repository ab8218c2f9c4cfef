package dev.jdiffusion.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code ./diffusion bench}: benchmarks, each printing one JSON line. */
@Command(
    name = "bench",
    description = "Benchmarks that print one JSON line each (see docs/benchmarks.md).",
    subcommands = {BenchTrainCommand.class, BenchSampleCommand.class})
final class BenchCommand implements Runnable {
  @ParentCommand Main main;

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
