import dev.jdiffusion.pipeline.Comparison;
import dev.jdiffusion.pipeline.Environment;
import dev.jdiffusion.pipeline.MainJob;
import dev.jdiffusion.trainer.TrainConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** java UseFromJava TRAIN.yaml COMPARE.yaml OUT [EXTRACTOR.onnx] */
public final class UseFromJava {
  public static void main(String[] args) throws Exception {
    Environment env = Environment.load(); // the built-in plugins and any others on the class path
    PrintWriter log = new PrintWriter(System.out, true);
    Path out = Path.of(args[2]);
    // FID features; null trains a small classifier on the dataset once and caches it
    Path extractor = args.length > 3 ? Path.of(args[3]) : null;

    // The main job: train, export to ONNX, sample, score FID, write report.md
    TrainConfig config = env.reader().read(Path.of(args[0]), TrainConfig.class);
    MainJob.Result run = MainJob.run(env, MainJob.Options.builder(config, out.resolve("run"))
        .samples(64).evaluations(10).reference(500).extractor(extractor).log(log).build());
    System.out.printf("FID %.2f (extractor %s) in %s%n", run.fid(), run.extractor(), run.report());

    // The comparison protocol, one (schedule, weighter, seed) run at a time: a RunSpec is
    // serializable, so another process or machine sharing OUT could run it instead
    Path grid = Path.of(args[1]);
    Comparison comparison = Comparison.open(env, grid.toString(), Files.readString(grid),
        Comparison.Options.builder(out.resolve("compare")).extractor(extractor).log(log).build());
    long start = System.nanoTime();
    List<Comparison.RunResult> results = new ArrayList<>();
    for (Comparison.RunSpec spec : comparison.plan()) {
      results.add(comparison.runOne(spec)); // resumes where an earlier attempt stopped
    }
    Comparison.Report report = comparison.report(results, Duration.ofNanos(System.nanoTime() - start));
    System.out.printf("%d of %d runs complete: %s%n", report.complete(), report.total(), report.file());
  }
}
