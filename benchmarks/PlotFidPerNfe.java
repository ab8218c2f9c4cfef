import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Plots FID against network evaluations per image, one line per sampler, from the CSVs that
 * benchmarks/fid_per_nfe.sh writes (sampler,spacing,steps,nfe,fid,seconds). Given several CSVs (one per noise seed),
 * each point is the mean over the CSVs that have it. Run as a source file with XChart on the class path:
 * {@code java -cp "cli/target/lib/*" benchmarks/PlotFidPerNfe.java OUT.png A.csv [B.csv ...]}
 */
public final class PlotFidPerNfe {
  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: PlotFidPerNfe OUT.png FID-PER-NFE.csv [MORE.csv ...]");
      System.exit(2);
    }
    // sampler (with its grid) -> nfe -> FIDs over the CSVs
    Map<String, TreeMap<Integer, List<Double>>> fids = new TreeMap<>();
    for (int i = 1; i < args.length; i++) {
      List<String> lines = Files.readAllLines(Path.of(args[i]));
      if (lines.isEmpty() || !lines.get(0).equals("sampler,spacing,steps,nfe,fid,seconds")) {
        System.err.println(args[i] + ": expected the header sampler,spacing,steps,nfe,fid,seconds");
        System.exit(2);
      }
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        fids.computeIfAbsent(f[0] + " (" + f[1] + ")", k -> new TreeMap<>())
            .computeIfAbsent(Integer.parseInt(f[3]), k -> new ArrayList<>())
            .add(Double.parseDouble(f[4]));
      }
    }
    XYChart chart = new XYChartBuilder().width(800).height(500)
        .title(args.length > 2 ? "FID per network evaluation (mean over the seeds that have the point)"
            : "FID per network evaluation")
        .xAxisTitle("network evaluations per image").yAxisTitle("FID").build();
    chart.getStyler().setXAxisDecimalPattern("0");
    for (var sampler : fids.entrySet()) {
      double[] x = sampler.getValue().keySet().stream().mapToDouble(Integer::doubleValue).toArray();
      double[] y = sampler.getValue().values().stream()
          .mapToDouble(v -> v.stream().mapToDouble(Double::doubleValue).average().orElseThrow()).toArray();
      chart.addSeries(sampler.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
    }
    BitmapEncoder.saveBitmap(chart, args[0], BitmapEncoder.BitmapFormat.PNG);
    System.out.println("wrote " + args[0]);
  }
}
