package dev.jdiffusion.pipeline;

import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Weight curves against log-SNR, log-scale weights, as a PNG (XChart). */
public final class WeightPlot {
  private WeightPlot() {}

  public static void write(Path png, NoiseSchedule table, List<String> labels, List<LossWeights> weights, String title)
      throws IOException {
    XYChart chart =
        new XYChartBuilder().width(900).height(560).title(title).xAxisTitle("log SNR")
            .yAxisTitle("weight (log scale)").build();
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
    for (int i = 0; i < weights.size(); i++) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (int t = 0; t < table.timesteps(); t++) {
        double l = table.logSnr(t);
        double w = weights.get(i).loss(t);
        // A log axis cannot show 0 or the point at logSNR = -inf; they are left out of the plot (not the CSV).
        if (Double.isFinite(l) && w > 0) {
          x.add(l);
          y.add(w);
        }
      }
      if (!x.isEmpty()) {
        chart.addSeries(labels.get(i), x, y).setMarker(SeriesMarkers.NONE);
      }
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
