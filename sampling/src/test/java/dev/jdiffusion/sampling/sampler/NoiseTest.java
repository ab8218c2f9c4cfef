package dev.jdiffusion.sampling.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.dataset.ImageShape;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Per-image noise: the same images at any batch size, nothing shared between seeds, the documented stream. */
class NoiseTest {
  static final GaussianData DATA =
      new GaussianData(GaussianData.linear(1000), 0.3, 0.5, "eps", new ImageShape(1, 4, 4), -1, 1);

  @Test
  void theSameSeedGivesTheSameImagesAtAnyBatchSize() throws Exception {
    for (String name : Samplers.names()) {
      SamplerOptions o = SamplerOptions.of(12);
      Sampler sampler = Samplers.create(name, name.equals("ddim") ? o.withEta(0.7) : o);
      float[] whole = Samplers.draw(DATA.denoiser(), sampler, Noise.seeded(9), 10, 10, k -> { });
      for (int batch : new int[] {1, 3, 4, 7}) {
        long[] last = {0};
        float[] batched = Samplers.draw(DATA.denoiser(), sampler, Noise.seeded(9), 10, batch, k -> last[0] = k);
        assertThat(batched).as("%s at batch %d", name, batch).containsExactly(whole);
        assertThat(last[0]).isEqualTo((long) sampler.steps(1000) * ((10 + batch - 1) / batch));
      }
      // the first images of a larger sample are the smaller sample
      float[] more = sampler.sample(DATA.denoiser(), 13, 9, k -> { });
      assertThat(java.util.Arrays.copyOf(more, whole.length)).containsExactly(whole);
      assertThat(sampler.sample(DATA.denoiser(), 10, 10, k -> { })).isNotEqualTo(whole);
    }
  }

  @Test
  void differentSeedsShareNoNoise() {
    int images = 400;
    int size = 64;
    double[][] a = new double[images][size];
    double[][] b = new double[images][size];
    Set<Double> seen = new HashSet<>();
    for (int i = 0; i < images; i++) {
      for (int draw = 0; draw < 3; draw++) {
        Noise.seeded(0).fill(i, draw, a[i], 0, size);
        for (double v : a[i]) {
          assertThat(seen.add(v)).as("a repeated value in seed 0").isTrue();
        }
      }
    }
    int repeated = 0;
    for (int i = 0; i < images; i++) {
      for (int draw = 0; draw < 3; draw++) {
        Noise.seeded(1).fill(i, draw, b[i], 0, size);
        for (double v : b[i]) {
          repeated += seen.contains(v) ? 1 : 0;
        }
      }
    }
    assertThat(repeated).as("values of seed 1 found in seed 0").isZero();
    // the old scheme's overlap was seed s + 1's image i = seed s's image i + batch: no correlation at any shift
    for (int shift : new int[] {0, 1, 64, 100}) {
      double sum = 0;
      int count = 0;
      for (int i = 0; i + shift < images; i++) {
        Noise.seeded(0).fill(i + shift, 0, a[i], 0, size);
        Noise.seeded(1).fill(i, 0, b[i], 0, size);
        for (int j = 0; j < size; j++) {
          sum += a[i][j] * b[i][j];
          count++;
        }
      }
      assertThat(sum / count).as("correlation at shift %d", shift).isCloseTo(0, within(5 / Math.sqrt(count)));
    }
  }

  @Test
  void valuesAreStandardNormal() {
    double[] x = new double[200_000];
    for (int i = 0; i < 1000; i++) {
      Noise.seeded(123).fill(i, i % 5, x, i * 200, 200);
    }
    double sum = 0;
    double sq = 0;
    double fourth = 0;
    int below = 0;
    for (double v : x) {
      sum += v;
      sq += v * v;
      fourth += v * v * v * v;
      below += v < -1.959964 ? 1 : 0;
    }
    int n = x.length;
    assertThat(sum / n).isCloseTo(0, within(5 / Math.sqrt(n)));
    assertThat(sq / n).isCloseTo(1, within(5 * Math.sqrt(2.0 / n)));
    assertThat(fourth / n).isCloseTo(3, within(5 * Math.sqrt(96.0 / n)));
    assertThat((double) below / n).isCloseTo(0.025, within(5 * Math.sqrt(0.025 * 0.975 / n)));
  }

  /** The documented derivation, implemented independently in plain Python (seeded_noise.py). */
  @Test
  void streamsAreTheDocumentedDerivation() throws Exception {
    Path script = Path.of(NoiseTest.class.getResource("seeded_noise.py").toURI());
    long[][] keys = {{0, 0, 0}, {42, 7, 3}, {-5, 123456789, 1}, {Long.MAX_VALUE, 1, 0}};
    for (long[] key : keys) {
      String out = ReferenceSamplersTest.runPython(script.toString(), Long.toString(key[0]), Long.toString(key[1]),
          Long.toString(key[2]), "20");
      String[] lines = out.trim().split("\n");
      double[] java = new double[20];
      Noise.seeded(key[0]).fill(key[1], (int) key[2], java, 0, 20);
      assertThat(lines).hasSize(20);
      for (int i = 0; i < 20; i++) {
        double python = Double.parseDouble(lines[i]);
        assertThat(java[i]).as("seed %d image %d draw %d value %d", key[0], key[1], key[2], i)
            .isCloseTo(python, within(1e-14 * Math.max(1, Math.abs(python))));
      }
    }
  }
}
