package dev.jdiffusion.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code ./diffusion} as a real process: a child JVM running {@link Main} on the test class path, its
 * stdout and stderr in files, so that a test can kill it (SIGKILL) at any moment and read what it wrote.
 */
final class ChildJvm {
  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private ChildJvm(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Starts {@code Main args} with one libtorch thread (so that two processes compute the same losses bit
   * for bit) and the given extra system properties ({@code -Dname=value}).
   */
  static ChildJvm start(Path workDir, String name, List<String> properties, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Dai.djl.offline=true");
    command.add("-Dai.djl.pytorch.num_threads=1");
    command.add("-Dai.djl.pytorch.num_interop_threads=1");
    command.addAll(properties);
    command.add("-cp");
    command.add(classPath());
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    Path out = workDir.resolve(name + ".out");
    Path err = workDir.resolve(name + ".err");
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("CI", "true"); // plain progress lines, no bar
    return new ChildJvm(pb.start(), out, err);
  }

  /** The test class path: surefire's full one when the JVM was started through its booter jar. */
  private static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGKILL, as {@code kill -9}: no shutdown hook, no finally block, no flush. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("process " + pid() + " did not die");
    }
  }

  /** Waits for the process to exit; returns its exit status. */
  int waitFor(Duration timeout) throws InterruptedException, IOException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("process " + pid() + " still running after " + timeout + "; stderr: " + err());
    }
    return process.exitValue();
  }

  String out() throws IOException {
    return Files.readString(stdout, StandardCharsets.UTF_8);
  }

  String err() throws IOException {
    return Files.readString(stderr, StandardCharsets.UTF_8);
  }

  /** The lines of stderr that are not native libtorch warnings ({@code [W...] ...}, printed by C++ code). */
  List<String> errorLines() throws IOException {
    return err().lines().filter(l -> !l.isBlank() && !l.matches("\\[W\\d{4} .*")).toList();
  }

  /**
   * Polls {@code condition} every 10 ms until it holds; fails when the process exits first or the timeout
   * passes.
   */
  void awaitWhileAlive(String what, Duration timeout, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new AssertionError("the process exited (" + process.exitValue() + ") before " + what + "; stderr: "
            + err() + "; stdout: " + out());
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new AssertionError("no " + what + " within " + timeout + "; stdout: " + out());
      }
      Thread.sleep(10);
    }
  }
}
