package dev.jdiffusion.cli;

import dev.jdiffusion.pipeline.Progress;
import dev.jdiffusion.sampling.fid.FeatureExtractionException;
import dev.jdiffusion.sampling.fid.FidInputs;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.fid.KernelInceptionDistance;
import dev.jdiffusion.sampling.fid.BuiltinExtractor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion fid A B}: the Frechet distance (and on request KID) between two sets, each given as an
 * {@code .npz} of statistics, an {@code .npy} of features [N, D] or of images [N, C, H, W], a folder of
 * images, or a dataset ({@code --reference fashion-mnist:split=test}). Images are scored with
 * {@code --extractor}, or without it, when they are grayscale 28x28 or 32x32, with the built-in extractor.
 * The output names what produced the features of each side. See docs/fid.md.
 */
@Command(name = "fid", sortOptions = false, mixinStandardHelpOptions = true,
    description = {"Frechet distance (FID) and, with --kid, Kernel Inception Distance between two sets.",
        "A and B: .npz statistics (mu, sigma), .npy features [N, D], .npy images [N, C, H, W] in [-1, 1],"
            + " a folder of images, or a dataset (name[:key=value,...]). Grayscale 28x28 and 32x32 images are"
            + " scored with the built-in extractor " + BuiltinExtractor.NAME + " unless --extractor names another."})
final class FidCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "A", description = "First set (e.g. samples.npy).")
  String a;

  @Parameters(index = "1", arity = "0..1", paramLabel = "B", description = "Second set; or give --reference.")
  String b;

  @Option(names = "--reference", paramLabel = "DATASET_SPEC",
      description = "The second set as a dataset, e.g. fashion-mnist:split=test (the whole test split; the"
          + " built-in extractor uses its shipped statistics).")
  String reference;

  @Option(names = "--kid", description = "Also compute KID (needs feature vectors or images on both sides).")
  boolean kid;

  @Option(names = "--kid-subsets", description = "KID subsets (default: ${DEFAULT-VALUE}, torch-fidelity's).")
  int kidSubsets = KernelInceptionDistance.DEFAULT_SUBSETS;

  @Option(names = "--kid-subset-size", description = "Vectors per KID subset (default: ${DEFAULT-VALUE}).")
  int kidSubsetSize = KernelInceptionDistance.DEFAULT_SUBSET_SIZE;

  @Option(names = "--kid-seed", description = "NumPy RandomState seed of the KID subsets (default: ${DEFAULT-VALUE}).")
  long kidSeed = KernelInceptionDistance.DEFAULT_SEED;

  @Mixin FeatureInputs.ExtractorOptions extractorOptions = new FeatureInputs.ExtractorOptions();

  @Option(names = "--save-stats-a", paramLabel = "FILE.npz", description = "Save A's statistics (pytorch-fid layout).")
  Path saveA;

  @Option(names = "--save-stats-b", paramLabel = "FILE.npz", description = "Save B's statistics (pytorch-fid layout).")
  Path saveB;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if ((b == null) == (reference == null)) {
      throw new UserException(b == null ? "give the second set B, or --reference DATASET_SPEC"
          : "give either B (" + b + ") or --reference (" + reference + "), not both");
    }
    KernelInceptionDistance.Config kidConfig;
    try {
      kidConfig = new KernelInceptionDistance.Config(kidSubsets, kidSubsetSize, kidSeed);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    Writable.requireParent("--save-stats-a", saveA);
    Writable.requireParent("--save-stats-b", saveB);
    try (FeatureInputs inputs = new FeatureInputs(main, extractorOptions)) {
      FidInputs.Loaded first = inputs.load("A", a, kid, true, err);
      FidInputs.Loaded second = inputs.load("B", b != null ? b : reference, kid, true, err);
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

  private static void save(Path file, FidInputs.Loaded loaded, PrintWriter out) throws IOException {
    if (file != null) {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        java.nio.file.Files.createDirectories(parent);
      }
      loaded.statistics().save(file);
      out.println("saved statistics of " + loaded.source() + " to " + file);
    }
  }

  static void describe(PrintWriter out, String name, FidInputs.Loaded l) {
    var s = l.statistics();
    out.printf(Locale.ROOT, "%s: %s (%s, N = %s, D = %d)%n", name, l.source(), l.kind(),
        s.count().isPresent() ? Long.toString(s.count().getAsLong()) : "unknown", s.dimension());
    out.printf("   features: %s%n", l.origin());
  }
}
