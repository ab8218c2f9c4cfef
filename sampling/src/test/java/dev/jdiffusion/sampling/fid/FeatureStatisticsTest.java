package dev.jdiffusion.sampling.fid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureStatisticsTest {

  @Test
  void npzRoundTripKeepsEveryBitAndTheCount(@TempDir Path dir) throws Exception {
    FeatureStatistics s = FrechetDistanceTest.correlated(9, 50, 7, 1).statistics();
    s.save(dir.resolve("s.npz"));
    FeatureStatistics back = FeatureStatistics.load(dir.resolve("s.npz"));
    assertThat(back).isEqualTo(s);
    assertThat(back.count()).hasValue(50);
    assertThat(Npy.readNpz(dir.resolve("s.npz"))).containsOnlyKeys("mu", "sigma", "n");
    assertThat(Npy.readNpz(dir.resolve("s.npz")).get("sigma").dtype()).isEqualTo(Npy.FLOAT64);
  }

  @Test
  void loadingNamesTheFileAndTheArray(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.npz");
    Npy.writeNpz(missing, Map.of("mu", NpyArray.float64(new double[] {1, 2}, 2)));
    assertThatThrownBy(() -> FeatureStatistics.load(missing)).hasMessage(missing
        + ": FID statistics need arrays 'mu' and 'sigma' (pytorch-fid's layout), found [mu]");
    Path shape = dir.resolve("shape.npz");
    Npy.writeNpz(shape, Map.of("mu", NpyArray.float64(new double[] {1, 2}, 2),
        "sigma", NpyArray.float64(new double[] {1, 0, 0, 1, 0, 0}, 2, 3)));
    assertThatThrownBy(() -> FeatureStatistics.load(shape))
        .hasMessage(shape + ": 'sigma' must have shape (2, 2) to match 'mu', found [2, 3]");
    Path nan = dir.resolve("nan.npz");
    Npy.writeNpz(nan, Map.of("mu", NpyArray.float64(new double[] {1, Double.NaN}, 2),
        "sigma", NpyArray.float64(new double[] {1, 0, 0, 1}, 2, 2)));
    assertThatThrownBy(() -> FeatureStatistics.load(nan))
        .hasMessage(nan + ": 'mu' holds a non-finite value (NaN at flat index 1)");
  }
}
