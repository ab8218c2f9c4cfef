package dev.jdiffusion.cli;

import dev.jdiffusion.pipeline.Progress;
import dev.jdiffusion.sampling.fid.FeatureExtractionException;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FidInputs;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.fid.KernelInceptionDistance;
import dev.jdiffusion.sampling.fid.OnnxFeatureExtractor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion fid A B}: the Frechet distance (and on request KID) between two sets, each given as an
 * {@code .npz} of statistics, an {@code .npy} of features [N, D] or of images [N, C, H, W], or a folder of
 * images. Images need {@code --extractor}. The output names what produced the features of each side. See
 * docs/fid.md.
 */
@Command(name = "fid", sortOptions = false,
    description = {"Frechet distance (FID) and, with --kid, Kernel Inception Distance between two sets.",
        "A and B: .npz statistics (mu, sigma), .npy features [N, D], .npy images [N, C, H, W] in [-1, 1],"
            + " or a folder of images; images need --extractor."})
final class FidCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "A", description = "First set.")
  Path a;

  @Parameters(index = "1", paramLabel = "B", description = "Second set.")
  Path b;

  @Option(names = "--kid", description = "Also compute KID (needs feature vectors or images on both sides).")
  boolean kid;

  @Option(names = "--kid-subsets", description = "KID subsets (default: ${DEFAULT-VALUE}, torch-fidelity's).")
  int kidSubsets = KernelInceptionDistance.DEFAULT_SUBSETS;

  @Option(names = "--kid-subset-size", description = "Vectors per KID subset (default: ${DEFAULT-VALUE}).")
  int kidSubsetSize = KernelInceptionDistance.DEFAULT_SUBSET_SIZE;

  @Option(names = "--kid-seed", description = "NumPy RandomState seed of the KID subsets (default: ${DEFAULT-VALUE}).")
  long kidSeed = KernelInceptionDistance.DEFAULT_SEED;

  @Option(names = "--extractor", paramLabel = "MODEL.onnx",
      description = "ONNX feature extractor: images [N, C, H, W] in, pooled features out.")
  Path extractor;

  @Option(names = "--extractor-input", paramLabel = "NAME", description = "Its image input (default: from the model).")
  String extractorInput;

  @Option(names = "--extractor-output", paramLabel = "NAME", description = "Its feature output (default: from the model).")
  String extractorOutput;

  @Option(names = "--extractor-size", paramLabel = "HxW",
      description = "Input size the extractor takes, e.g. 299x299 (default: from the model).")
  String extractorSize;

  @Option(names = "--extractor-range", paramLabel = "MIN,MAX",
      description = "Pixel range the extractor takes, e.g. 0,1 (default: from the model's metadata, else -1,1).")
  String extractorRange;

  @Option(names = "--batch", description = "Images per extractor call (default: ${DEFAULT-VALUE}).")
  int batch = 50;

  @Option(names = "--threads", description = "ONNX Runtime threads (default: the cores, ${DEFAULT-VALUE}).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--save-stats-a", paramLabel = "FILE.npz", description = "Save A's statistics (pytorch-fid layout).")
  Path saveA;

  @Option(names = "--save-stats-b", paramLabel = "FILE.npz", description = "Save B's statistics (pytorch-fid layout).")
  Path saveB;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    KernelInceptionDistance.Config kidConfig;
    OnnxFeatureExtractor.Options options;
    try {
      kidConfig = new KernelInceptionDistance.Config(kidSubsets, kidSubsetSize, kidSeed);
      options = extractorOptions();
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    try (FeatureExtractor x = extractor == null ? null : OnnxFeatureExtractor.open(extractor, options)) {
      FidInputs.Loaded first = load("A", a, x, err);
      FidInputs.Loaded second = load("B", b, x, err);
      if (first.statistics().dimension() != second.statistics().dimension()) {
        throw new UserException("A has features of dimension " + first.statistics().dimension() + " and B of "
            + second.statistics().dimension() + ": they come from different extractors and cannot be compared");
      }
      save(saveA, first, out);
      save(saveB, second, out);
      FrechetDistance.Result fid = FrechetDistance.compute(first.statistics(), second.statistics(), "A", "B");
      describe(out, "A", first);
      describe(out, "B", second);
      out.printf(Locale.ROOT, "FID = %.6f%n", fid.fid());
      if (fid.clampedEigenvalues() > 0) {
        out.printf(Locale.ROOT, "   (%d negative eigenvalues, the most negative %.3g, were clamped to 0 in the matrix"
            + " square root)%n", fid.clampedEigenvalues(), fid.mostNegativeEigenvalue());
      }
      if (kid) {
        KernelInceptionDistance.Result k = KernelInceptionDistance.compute(first.features().orElseThrow(),
            second.features().orElseThrow(), kidConfig);
        out.printf(Locale.ROOT, "KID = %.6g +- %.3g (mean +- std over %d subsets of %d, seed %d, kernel (x.y/D + 1)^3)%n",
            k.mean(), k.std(), kidConfig.subsets(), kidConfig.subsetSize(), kidConfig.seed());
      }
      if (!first.origin().equals(second.origin())) {
        out.println("note: A's and B's features do not come from one extractor run here; the distance means"
            + " something only if one extractor (same model, same preprocessing) produced both");
      }
      out.println("note: FID and KID are comparable only between runs with the same extractor");
      out.flush();
      for (String w : fid.warnings()) {
        err.println("warning: " + w);
      }
      err.flush();
      return 0;
    } catch (FeatureExtractionException e) {
      throw new UserException(e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  private FidInputs.Loaded load(String name, Path input, FeatureExtractor x, PrintWriter log) {
    try {
      FidInputs.Kind kind = FidInputs.kind(input);
      if (!kind.needsExtractor()) {
        return FidInputs.load(input, x, kid, null);
      }
      if (x == null) {
        throw new UserException(input + ": " + kind + " need --extractor MODEL.onnx (the network that turns"
            + " images into features)");
      }
      Progress[] bar = {null};
      try {
        return FidInputs.load(input, x, kid, (done, total) -> {
          if (bar[0] == null) {
            bar[0] = Progress.start("features of " + name + " (" + input.getFileName() + ")", total, log);
          }
          bar[0].stepTo(done, null);
        });
      } finally {
        if (bar[0] != null) {
          bar[0].close();
        }
      }
    } catch (IOException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  private static void save(Path file, FidInputs.Loaded loaded, PrintWriter out) throws IOException {
    if (file != null) {
      loaded.statistics().save(file);
      out.println("saved statistics of " + loaded.path() + " to " + file);
    }
  }

  private static void describe(PrintWriter out, String name, FidInputs.Loaded l) {
    var s = l.statistics();
    out.printf(Locale.ROOT, "%s: %s (%s, N = %s, D = %d)%n", name, l.path(), l.kind(),
        s.count().isPresent() ? Long.toString(s.count().getAsLong()) : "unknown", s.dimension());
    out.printf("   features: %s%n", l.origin());
  }

  private OnnxFeatureExtractor.Options extractorOptions() {
    OnnxFeatureExtractor.Options o = OnnxFeatureExtractor.Options.defaults().withBatch(batch).withThreads(threads)
        .withInput(extractorInput).withOutput(extractorOutput);
    if (extractorSize != null) {
      String[] hw = extractorSize.toLowerCase(Locale.ROOT).split("x");
      try {
        int h = Integer.parseInt(hw[0].trim());
        int w = hw.length > 1 ? Integer.parseInt(hw[1].trim()) : h;
        if (hw.length > 2 || h < 1 || w < 1) {
          throw new NumberFormatException();
        }
        o = o.withSize(h, w);
      } catch (NumberFormatException e) {
        throw new UserException("--extractor-size: '" + extractorSize + "' is not HxW (e.g. 299x299) or one size", e);
      }
    }
    if (extractorRange != null) {
      String[] r = extractorRange.split(",");
      try {
        if (r.length != 2) {
          throw new NumberFormatException();
        }
        o = o.withPixelRange(Double.parseDouble(r[0].trim()), Double.parseDouble(r[1].trim()));
      } catch (NumberFormatException e) {
        throw new UserException("--extractor-range: '" + extractorRange + "' is not MIN,MAX (e.g. 0,1)", e);
      }
    }
    return o;
  }
}
