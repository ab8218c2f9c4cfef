package dev.jdiffusion.plugins.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every filter against Pillow's {@code Image.resize} (pillow_resize.py; Debian's python3-pil, which CI
 * installs), on random 3-channel images shrunk, enlarged and both at once: each output byte within 1 of
 * Pillow's unrounded float result, rounded and clipped (Pillow resamples 32-bit float images in double
 * precision; the Java side rounds once at the end).
 */
class ResamplerTest {
  static final int[][] SIZES = {
    {9, 7, 4, 5}, {9, 7, 20, 3}, {6, 6, 6, 6}, {5, 8, 16, 16}, {31, 17, 7, 7}, {12, 12, 5, 5},
  };

  @ParameterizedTest
  @EnumSource(Resampler.Filter.class)
  void matchesPillow(Resampler.Filter filter, @TempDir Path dir) throws Exception {
    Random r = new Random(filter.ordinal());
    for (int[] s : SIZES) {
      int w = s[0];
      int h = s[1];
      int ow = s[2];
      int oh = s[3];
      byte[] in = new byte[3 * w * h];
      r.nextBytes(in);
      double[] planes = new double[in.length];
      for (int i = 0; i < in.length; i++) {
        planes[i] = in[i] & 0xff;
      }
      byte[] java = Resampler.resize(planes, 3, w, h, ow, oh, filter);
      float[] pillow = pillow(dir, in, 3, w, h, ow, oh, filter.id());
      assertThat(java).hasSize(pillow.length);
      for (int i = 0; i < java.length; i++) {
        long expected = Math.max(0, Math.min(255, Math.round(pillow[i])));
        assertThat(java[i] & 0xff).as("%s %dx%d -> %dx%d, value %d (Pillow %s)", filter.id(), w, h, ow, oh, i,
            pillow[i]).isBetween((int) expected - 1, (int) expected + 1);
      }
    }
  }

  static float[] pillow(Path dir, byte[] in, int c, int w, int h, int ow, int oh, String filter) throws Exception {
    Path script = Path.of(ResamplerTest.class.getResource("pillow_resize.py").toURI());
    Path input = Files.write(dir.resolve("in.bin"), in);
    Path output = dir.resolve("out.bin");
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    Process p = new ProcessBuilder(python, script.toString(), input.toString(), Integer.toString(c),
        Integer.toString(w), Integer.toString(h), Integer.toString(ow), Integer.toString(oh), filter,
        output.toString()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("pillow_resize.py (needs python3-pil) failed:%n%s", log).isZero();
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(output)).order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[b.remaining() / 4];
    b.asFloatBuffer().get(v);
    return v;
  }
}
