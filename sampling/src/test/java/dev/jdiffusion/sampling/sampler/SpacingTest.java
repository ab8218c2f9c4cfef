package dev.jdiffusion.sampling.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Timestep grids against numpy, computed by python3 in a child process, for every step count. */
class SpacingTest {

  /** "T n t0 t1 ..." lines from a numpy program, keyed by "T n". */
  static Map<String, int[]> numpy(String program, Path dir) throws Exception {
    Path script = dir.resolve("grids.py");
    java.nio.file.Files.writeString(script, program);
    String out = ReferenceSamplersTest.runPython(script.toString());
    Map<String, int[]> grids = new HashMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.trim().split(" ");
      grids.put(f[0] + " " + f[1], Arrays.stream(f, 2, f.length).mapToInt(Integer::parseInt).toArray());
    }
    return grids;
  }

  static void assertAll(Spacing spacing, Map<String, int[]> expected, int minimumSteps) {
    int checked = 0;
    for (int total : new int[] {1000, 250, 7}) {
      double[] ab = GaussianData.linear(total);
      for (int n = minimumSteps; n <= total; n++) {
        assertThat(spacing.timesteps(ab, n)).as("%s T = %d, %d steps", spacing, total, n)
            .containsExactly(expected.get(total + " " + n));
        checked++;
      }
    }
    assertThat(checked).isEqualTo(1000 + 250 + 7 - 3 * (minimumSteps - 1));
  }

  @Test
  void trailingRoundsHalfToEvenAsNumpyDoes(@TempDir Path dir) throws Exception {
    assertThat(Spacing.TRAILING.timesteps(GaussianData.linear(1000), 16))
        .startsWith(999, 937, 874, 811, 749, 687, 624, 561);
    assertAll(Spacing.TRAILING, numpy("""
        import numpy as np
        for T in (1000, 250, 7):
            for n in range(1, T + 1):
                ts = np.round(T - np.arange(n) * T / n).astype(np.int64) - 1
                print(T, n, " ".join(map(str, ts.tolist())))
        """, dir), 1);
  }

  @Test
  void linspaceAndLeadingAsNumpy(@TempDir Path dir) throws Exception {
    assertAll(Spacing.LINSPACE, numpy("""
        import numpy as np
        for T in (1000, 250, 7):
            for n in range(2, T + 1):
                ts = np.round(np.linspace(0, T - 1, n))[::-1].astype(np.int64)
                print(T, n, " ".join(map(str, ts.tolist())))
        """, dir), 2);
    assertAll(Spacing.LEADING, numpy("""
        import numpy as np
        for T in (1000, 250, 7):
            for n in range(1, T + 1):
                ts = (np.arange(0, n) * (T // n))[::-1]
                print(T, n, " ".join(map(str, ts.tolist())))
        """, dir), 1);
  }

  /** Karras and log-SNR grids against reference_samplers.py's, on the linear and a cosine schedule. */
  @Test
  void sigmaGridsAsTheReference(@TempDir Path dir) throws Exception {
    double[] cosine = new double[1000];          // Nichol and Dhariwal's, betas clipped at 0.999
    double product = 1;
    for (int t = 0; t < 1000; t++) {
      product *= 1 - Math.min(0.999, 1 - cosineF(t + 1) / cosineF(t));
      cosine[t] = product;
    }
    Map<String, double[]> tables = Map.of("linear", GaussianData.linear(1000), "cosine", cosine,
        "short", GaussianData.linear(40));
    for (var table : tables.entrySet()) {
      Path npy = dir.resolve(table.getKey() + ".npy");
      Npy.write(npy, NpyArray.float64(table.getValue(), table.getValue().length));
      Path script = Path.of(ReferenceSamplersTest.class.getResource("reference_samplers.py").toURI());
      Map<String, int[]> expected = numpy("""
          import sys, numpy as np
          sys.path.insert(0, '%s')
          import reference_samplers as r
          ab = np.load('%s')
          for spacing in ('karras', 'logsnr'):
              for n in range(2, len(ab) + 1):
                  if n <= 100 or n %% 37 == 0 or n == len(ab):
                      print(spacing, n, *r.grid(ab, n, spacing))
          """.formatted(script.getParent(), npy), dir);
      double[] ab = table.getValue();
      for (Spacing spacing : new Spacing[] {Spacing.KARRAS, Spacing.LOGSNR}) {
        for (int n = 2; n <= ab.length; n++) {
          if (!checked(n, ab.length)) {
            continue;
          }
          int[] ts = spacing.timesteps(ab, n);
          assertThat(ts).as("%s on %s, %d steps", spacing, table.getKey(), n)
              .containsExactly(expected.get(spacing.id() + " " + n));
          assertThat(ts[0]).isEqualTo(ab.length - 1);
          assertThat(ts[n - 1]).isZero();
          for (int k = 1; k < n; k++) {
            assertThat(ts[k]).isLessThan(ts[k - 1]);
          }
        }
      }
    }
  }

  private static double cosineF(int t) {
    return Math.pow(Math.cos((t / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
  }

  /** Every step count up to 100, then every 37th, and T. */
  static boolean checked(int n, int total) {
    return n <= 100 || n % 37 == 0 || n == total;
  }

  @Test
  void refusalsNameTheSpacingAndWhatWorks() {
    double[] ztsnr = ReferenceSamplersTest.zeroTerminalSnr();
    assertThatThrownBy(() -> Spacing.KARRAS.timesteps(ztsnr, 10)).hasMessage("spacing karras needs a finite sigma at"
        + " t = T-1, but this model has zero terminal SNR (alphabar[T-1] = 0); use trailing, linspace or leading");
    assertThat(Spacing.TRAILING.timesteps(ztsnr, 4)).containsExactly(999, 749, 499, 249);
    assertThatThrownBy(() -> Spacing.LINSPACE.timesteps(ztsnr, 1))
        .hasMessage("spacing linspace needs at least 2 steps (it includes t = T-1 and t = 0)");
    assertThatThrownBy(() -> Spacing.TRAILING.timesteps(ztsnr, 1001))
        .hasMessage("steps must be in 1..1000 (the model's T), got 1001");
    assertThatThrownBy(() -> Spacing.parse("cosine"))
        .hasMessage("'cosine' is not one of trailing, linspace, leading, karras, logsnr");
    assertThat(Spacing.parse("Karras")).isEqualTo(Spacing.KARRAS);
  }
}
