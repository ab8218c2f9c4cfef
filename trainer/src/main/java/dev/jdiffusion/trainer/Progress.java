package dev.jdiffusion.trainer;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress: a progress bar (steps, loss, images/s, ETA) on a terminal, or a plain line
 * every {@code logEvery} steps otherwise (no console, or {@code CI=true}).
 */
interface Progress extends AutoCloseable {

  void update(DiffusionTrainer.StepResult r, double imagesPerSecond);

  void message(String line);

  @Override
  void close();

  /** A bar when there is an interactive console and {@code CI} is not {@code true}, plain lines otherwise. */
  static Progress create(PrintWriter out, long start, long total, int logEvery, boolean interactive) {
    return interactive ? new Bar(start, total) : new Lines(out, start, total, logEvery);
  }

  /** Whether this JVM has a terminal to draw a bar on. */
  static boolean interactiveConsole() {
    return System.console() != null && !"true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** me.tongfei's progress bar, on standard error. */
  final class Bar implements Progress {
    private final ProgressBar bar;

    Bar(long start, long total) {
      bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(total).startsFrom(start, Duration.ZERO)
          .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(500).build();
    }

    @Override
    public void update(DiffusionTrainer.StepResult r, double imagesPerSecond) {
      bar.stepTo(r.step());
      bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f, %.1f img/s", r.loss(), imagesPerSecond));
    }

    @Override
    public void message(String line) {
      System.err.println();
      System.err.println(line);
    }

    @Override
    public void close() {
      bar.close();
    }
  }

  /** Plain log lines. */
  final class Lines implements Progress {
    private final PrintWriter out;
    private final long start;
    private final long total;
    private final int every;
    private final long startNanos = System.nanoTime();

    Lines(PrintWriter out, long start, long total, int every) {
      this.out = out;
      this.start = start;
      this.total = total;
      this.every = every;
    }

    @Override
    public void update(DiffusionTrainer.StepResult r, double imagesPerSecond) {
      if (r.step() % every != 0 && r.step() != total) {
        return;
      }
      double elapsed = (System.nanoTime() - startNanos) / 1e9;
      long done = r.step() - start;
      long eta = done == 0 ? 0 : Math.round(elapsed / done * (total - r.step()));
      out.printf(Locale.ROOT, "step %d/%d  loss %.5f  weight %.4g  lr %.3g  %.1f img/s  eta %s%n",
          r.step(), total, r.loss(), r.meanWeight(), r.lr(), imagesPerSecond, duration(eta));
      out.flush();
    }

    @Override
    public void message(String line) {
      out.println(line);
      out.flush();
    }

    @Override
    public void close() {}

    private static String duration(long seconds) {
      return seconds >= 3600
          ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60)
          : String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
  }
}
