package dev.jdiffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** The loss plot: labelled axes, at most 200 points (run means), an x axis XChart labels at round numbers. */
class LossPlotTest {

  static Path metrics(Path dir, int steps) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int s = 1; s <= steps; s++) {
      lines.add(String.format(Locale.ROOT, "{\"step\": %d, \"loss\": %s}", s, 1.0 / s));
    }
    return Files.write(dir.resolve("metrics-" + steps + ".jsonl"), lines);
  }

  @Test
  void longRunsArePlottedAsMeansOfEqualRuns(@TempDir Path dir) throws Exception {
    XYChart chart = MainJob.lossChart(metrics(dir, 600));
    assertThat(chart.getXAxisTitle()).isEqualTo("training step");
    assertThat(chart.getYAxisTitle()).isEqualTo("loss (log scale)");
    XYSeries loss = chart.getSeriesMap().get("loss (mean of 3 steps)");
    assertThat(loss).isNotNull();
    assertThat(loss.getXData()).hasSize(200);
    assertThat(loss.getXData()[0]).isEqualTo(3);
    // the mean of 1/1, 1/2, 1/3
    assertThat(loss.getYData()[0]).isCloseTo((1 + 0.5 + 1.0 / 3) / 3, within(1e-12));
    assertThat(chart.getStyler().isYAxisLogarithmic()).isTrue();
    assertThat(chart.getStyler().isYAxisLogarithmicDecadeOnly()).isFalse();
    // 0, 3, 6, ..., 600 and an axis end at 600 would be equally spaced, which makes XChart put a tick on
    // every few points ("121151181..."); the axis ends half a run later
    assertThat(chart.getStyler().getXAxisMin()).isEqualTo(0.0);
    assertThat(chart.getStyler().getXAxisMax()).isEqualTo(601.5);
  }

  @Test
  void shortRunsKeepEveryStepAndAPngIsWritten(@TempDir Path dir) throws Exception {
    XYChart chart = MainJob.lossChart(metrics(dir, 30));
    assertThat(chart.getSeriesMap().get("loss").getXData()).hasSize(30);
    assertThat(chart.getStyler().getXAxisMax()).isEqualTo(30.5);
    MainJob.lossPlot(metrics(dir, 30), dir.resolve("loss.png"));
    assertThat(javax.imageio.ImageIO.read(dir.resolve("loss.png").toFile()).getWidth()).isEqualTo(800);
  }
}
