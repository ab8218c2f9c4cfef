package dev.jdiffusion.sampling.fid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdiffusion.sampling.io.Npy;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelInceptionDistanceTest {

  @Test
  void permutationsAreNumpysRandomStates() throws Exception {
    JsonNode ref = Reference.run("perm", "2020", "1", "2", "10", "1000", "70000");
    int[] sizes = {1, 2, 10, 1000, 70000};
    NumpyRandomState rng = new NumpyRandomState(2020);
    for (int k = 0; k < sizes.length; k++) {
      int[] expected = new int[sizes[k]];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = ref.get(k).get(i).asInt();
      }
      assertThat(rng.permutation(sizes[k])).as("permutation(%d)", sizes[k]).containsExactly(expected);
    }
    JsonNode big = Reference.run("perm", "4294967295", "33");
    assertThat(new NumpyRandomState(4294967295L).permutation(33)[0]).isEqualTo(big.get(0).get(0).asInt());
  }

  @Test
  void agreesWithTorchFidelitysAlgorithmInNumpy(@TempDir Path dir) throws Exception {
    FeatureMatrix a = FrechetDistanceTest.correlated(21, 180, 12, 0);
    FeatureMatrix b = FrechetDistanceTest.correlated(22, 150, 12, 0.2);
    a.save(dir.resolve("a.npy"), Npy.FLOAT64);
    b.save(dir.resolve("b.npy"), Npy.FLOAT64);
    KernelInceptionDistance.Config config = new KernelInceptionDistance.Config(7, 60, 2020);
    KernelInceptionDistance.Result r = KernelInceptionDistance.compute(a, b, config);
    JsonNode ref = Reference.run("kid", dir.resolve("a.npy").toString(), dir.resolve("b.npy").toString(), "7", "60",
        "2020");
    // Same subsets (same seed, same generator), same kernel sums in double: 1e-12 absolute on values ~1e-1.
    assertThat(r.values()).containsExactly(Reference.doubles(ref.get("values")), within(1e-12));
    assertThat(r.mean()).isCloseTo(ref.get("mean").asDouble(), within(1e-12));
    assertThat(r.std()).isCloseTo(ref.get("std").asDouble(), within(1e-12));
    assertThat(r.mean()).isGreaterThan(0);
  }

  @Test
  void isNearZeroForTwoSamplesOfOneDistribution() {
    FeatureMatrix a = FrechetDistanceTest.correlated(31, 400, 8, 0);
    FeatureMatrix b = FrechetDistanceTest.correlated(31, 800, 8, 0);
    // Same generator seed, hence same mixing matrix; the second set holds the first and 400 more draws.
    KernelInceptionDistance.Result same = KernelInceptionDistance.compute(a, b,
        new KernelInceptionDistance.Config(20, 200, 1));
    KernelInceptionDistance.Result shifted = KernelInceptionDistance.compute(a,
        FrechetDistanceTest.correlated(31, 800, 8, 1.0), new KernelInceptionDistance.Config(20, 200, 1));
    assertThat(Math.abs(same.mean())).isLessThan(shifted.mean() / 20);
  }

  @Test
  void refusesSubsetsLargerThanTheSets() {
    FeatureMatrix a = FrechetDistanceTest.correlated(1, 50, 4, 0);
    assertThatThrownBy(() -> KernelInceptionDistance.compute(a, a, KernelInceptionDistance.Config.defaults()))
        .hasMessageStartingWith("KID subset size 1000 is larger than a feature set (first: 50, second: 50");
    assertThatThrownBy(() -> new KernelInceptionDistance.Config(0, 10, 1)).hasMessageContaining("subsets must be >= 1");
  }
}
