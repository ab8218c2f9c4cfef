package dev.jdiffusion.pipeline;

import java.io.PrintWriter;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of long work: a progress bar (me.tongfei:progressbar) on an interactive terminal; on CI
 * ({@code CI=true}) or without a console, a plain line every {@code 10%} so logs stay readable.
 */
public final class Progress implements AutoCloseable {
  private final ProgressBar bar;
  private final PrintWriter log;
  private final String task;
  private final long total;
  private final long started = System.nanoTime();
  private long lastLogged = -1;
  private long current;
  private boolean closed;

  private Progress(String task, long total, PrintWriter log, boolean interactive) {
    this.task = task;
    this.total = total;
    this.log = log;
    this.bar = interactive
        ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(250).build()
        : null;
  }

  /** Starts the display: a bar when {@link #interactive()}, else lines on {@code log}. */
  public static Progress start(String task, long total, PrintWriter log) {
    return start(task, total, log, interactive());
  }

  /** Starts the display: a bar (on the terminal) when {@code bar}, else a line on {@code log} every 10%. */
  public static Progress start(String task, long total, PrintWriter log, boolean bar) {
    return new Progress(task, total, log, bar);
  }

  /** Whether there is an interactive console and {@code CI} is not set: where a bar is readable. */
  public static boolean interactive() {
    return System.console() != null && !"true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** Reports {@code done} of the total units, with an optional note ({@code extra}, may be null). */
  public void stepTo(long done, String extra) {
    current = done;
    if (bar != null) {
      bar.stepTo(done);
      if (extra != null) {
        bar.setExtraMessage(extra);
      }
      return;
    }
    long decile = total == 0 ? 10 : done * 10 / total;
    if (decile != lastLogged) {
      lastLogged = decile;
      double seconds = (System.nanoTime() - started) / 1e9;
      log.printf("%s: %d/%d (%.0f s)%s%n", task, done, total, seconds, extra == null ? "" : " " + extra);
      log.flush();
    }
  }

  /** Time since the start. */
  public Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - started);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (bar != null) {
      bar.close();
    } else if (current != total) {
      stepTo(current, "stopped");
    }
  }
}
