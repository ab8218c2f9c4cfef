package dev.jdiffusion.cli;

import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.core.PluginException;
import dev.jdiffusion.core.WeightException;
import dev.jdiffusion.pipeline.PipelineException;
import dev.jdiffusion.spark.SparkSetupException;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.trainer.RunDirectoryException;
import dev.jdiffusion.trainer.TrainingStoppedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * What a command's failure prints and returns: one line on stderr, {@code error: <message>}, naming the
 * file, field or value and what was expected, and an exit status:
 * <ul>
 *   <li>2: bad input or environment, which the user can fix: a configuration, a file that is missing,
 *       unreadable, corrupt or of the wrong kind, a value out of range, a run directory that holds another
 *       run or is in use, a full disk, Spark options or a cluster that cannot be used;
 *   <li>3: training stopped on a non-finite loss, gradient or weight (the checkpoints are kept);
 *   <li>1: an internal error: a failure of the PyTorch engine (DJL) or ONNX Runtime on input they accepted,
 *       or a bug.
 * </ul>
 * The Java stack trace follows the line only when asked for ({@code --stacktrace} or
 * {@code JDIFFUSION_DEBUG=1}).
 */
final class Failures {
  static final int INTERNAL = 1;
  static final int BAD_INPUT = 2;
  static final int STOPPED = 3;

  private Failures() {}

  /**
   * The exit status and message of a failure.
   *
   * @param exitCode 1, 2 or 3 (see the class comment)
   * @param message what to print after {@code error: }
   */
  record Report(int exitCode, String message) {}

  /** Prints {@code e} as one line (and its stack trace when asked) and returns the exit status. */
  static int handle(Throwable e, PrintWriter err, boolean stacktrace) {
    Report r = classify(e);
    err.println("error: " + r.message());
    if (stacktrace || "1".equals(System.getenv("JDIFFUSION_DEBUG"))) {
      e.printStackTrace(err);
    }
    err.flush();
    return r.exitCode();
  }

  static Report classify(Throwable e) {
    if (e instanceof UncheckedIOException u && u.getCause() != null) {
      return classify(u.getCause());
    }
    if (e instanceof ConfigException || e instanceof PluginException) {
      return new Report(BAD_INPUT, e.getMessage()); // may list the available plugins on indented lines
    }
    if (e instanceof UserException || e instanceof WeightException || e instanceof RunDirectoryException
        || e instanceof PipelineException || e instanceof SparkSetupException) {
      return new Report(BAD_INPUT, firstLine(e.getMessage()));
    }
    if (e instanceof InvalidParameterException ipe) {
      return new Report(BAD_INPUT, firstLine(ipe.getMessage()));
    }
    if (e instanceof TrainingStoppedException) {
      return new Report(STOPPED, firstLine(e.getMessage()));
    }
    if (e instanceof IOException io) {
      return new Report(BAD_INPUT, describe(io));
    }
    if (e instanceof OutOfMemoryError) {
      return new Report(INTERNAL, "out of memory (the JVM may use at most "
          + dev.jdiffusion.core.Limits.bytes(Runtime.getRuntime().maxMemory())
          + "; give it more with JAVA_OPTS=-Xmx..., or use smaller inputs)");
    }
    String type = e.getClass().getName();
    if (type.startsWith("ai.onnxruntime.")) {
      return new Report(INTERNAL, "ONNX Runtime failed: " + firstLine(e.getMessage()));
    }
    if (type.startsWith("ai.djl.")) {
      return new Report(INTERNAL, "the PyTorch engine (DJL) failed: " + firstLine(e.getMessage()));
    }
    if (e instanceof IllegalArgumentException) {
      return new Report(BAD_INPUT, firstLine(e.getMessage()));
    }
    return new Report(INTERNAL, "internal error: " + e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : ": " + firstLine(e.getMessage()))
        + " (rerun with --stacktrace for the details)");
  }

  /** An I/O failure as {@code <file>: <what happened>}. */
  private static String describe(IOException e) {
    if (e instanceof FileSystemException fse && fse.getFile() != null) {
      String file = fse.getFile() + (fse.getOtherFile() == null ? "" : " -> " + fse.getOtherFile());
      String reason = fse.getReason();
      if (e instanceof NoSuchFileException) {
        return file + ": no such file or directory";
      }
      if (e instanceof AccessDeniedException) {
        return file + ": permission denied";
      }
      if (e instanceof FileAlreadyExistsException) {
        return file + ": exists already (and is not what was expected here, e.g. a file where a directory is needed)";
      }
      if (e instanceof NotDirectoryException) {
        return file + ": not a directory";
      }
      if (e instanceof DirectoryNotEmptyException) {
        return file + ": directory not empty";
      }
      return file + ": " + (reason == null ? e.getClass().getSimpleName() : reason);
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : firstLine(m);
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl).strip();
  }
}
