package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.cli.WeightsCommandTest.Run;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One line per failure, with the exit status of its kind; the stack trace only when asked for. */
class FailuresTest {
  @Test
  void ioFailuresNameTheFileAndAreBadInput() {
    assertThat(Failures.classify(new NoSuchFileException("/data/a.npy")))
        .isEqualTo(new Failures.Report(2, "/data/a.npy: no such file or directory"));
    assertThat(Failures.classify(new UncheckedIOException(
            new FileSystemException("/out/run/metrics.jsonl", null, "No space left on device"))))
        .isEqualTo(new Failures.Report(2, "/out/run/metrics.jsonl: No space left on device"));
  }

  @Test
  void anUnexpectedExceptionIsAnInternalErrorInOneLine() {
    assertThat(Failures.classify(new IllegalStateException("broken\n  at the second line")))
        .isEqualTo(new Failures.Report(1,
            "internal error: IllegalStateException: broken (rerun with --stacktrace for the details)"));
    assertThat(Failures.classify(new OutOfMemoryError("Java heap space")).exitCode()).isEqualTo(1);
    assertThat(Failures.classify(new OutOfMemoryError("Java heap space")).message())
        .startsWith("out of memory (the JVM may use at most ");
  }

  @Test
  void theStackTraceFollowsTheLineOnlyWithStacktrace(@TempDir Path dir) {
    String missing = dir.resolve("none.ckpt").toString();
    String out = dir.resolve("m.onnx").toString();
    Run plain = WeightsCommandTest.run("export", missing, "--out", out);
    assertThat(plain.exit()).isEqualTo(2);
    assertThat(plain.err().lines().filter(l -> !l.isBlank()).toList())
        .containsExactly("error: " + missing + ": no such checkpoint file or run directory");

    Run traced = WeightsCommandTest.run("export", missing, "--out", out, "--stacktrace");
    assertThat(traced.exit()).isEqualTo(2);
    List<String> lines = traced.err().lines().toList();
    assertThat(lines.get(0)).isEqualTo("error: " + missing + ": no such checkpoint file or run directory");
    assertThat(lines.subList(1, lines.size())).anySatisfy(l -> assertThat(l).startsWith("\tat dev.jdiffusion."));
  }
}
