package dev.jdiffusion.sampling.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Header versions, stored and deflated archives and the row reader, cross-checked with numpy. */
class NpyFormatTest {

  @Property(tries = 50)
  void headersAlignDataTo64BytesAndParseBack(@ForAll @Size(max = 5) long[] dims, @ForAll boolean f32) throws Exception {
    long[] shape = Arrays.stream(dims).map(d -> Math.floorMod(d, 100_000L)).toArray();
    String dtype = f32 ? Npy.FLOAT32 : Npy.FLOAT64;
    byte[] h = NpyHeader.encode(shape, dtype);
    assertThat(h.length % 64).isZero();
    assertThat(h[h.length - 1]).isEqualTo((byte) '\n');
    NpyHeader parsed = NpyHeader.read("x.npy", new ByteArrayInputStream(h));
    assertThat(parsed.shape()).containsExactly(shape);
    assertThat(parsed.dtype()).isEqualTo(dtype);
    assertThat(parsed.headerBytes()).isEqualTo(h.length);
  }

  @Test
  void readsNumpysVersion2HeadersAndStoredArchives(@TempDir Path dir) throws Exception {
    NpyTest.py("import numpy as np, sys\n"
        + "a = (np.arange(6, dtype=np.float32) - 2.5).reshape(2, 3)\n"
        + "with open(sys.argv[1], 'wb') as f: np.lib.format.write_array(f, a, version=(2, 0))\n"
        + "np.savez(sys.argv[2], mu=np.zeros(2), sigma=np.eye(2, dtype=np.float32))\n"
        + "np.save(sys.argv[3], np.ones(3, dtype='>f8'))\n"
        + "np.save(sys.argv[4], np.float64(7.5))\n",
        dir.resolve("v2.npy").toString(), dir.resolve("stored.npz").toString(), dir.resolve("be.npy").toString(),
        dir.resolve("scalar.npy").toString());
    NpyArray v2 = Npy.read(dir.resolve("v2.npy"));
    assertThat(v2.shape()).containsExactly(2, 3);
    assertThat(v2.data()).containsExactly(-2.5, -1.5, -0.5, 0.5, 1.5, 2.5);
    Map<String, NpyArray> z = Npy.readNpz(dir.resolve("stored.npz"));
    assertThat(z.get("sigma").data()).containsExactly(1, 0, 0, 1);
    assertThatThrownBy(() -> Npy.read(dir.resolve("be.npy"))).hasMessage(dir.resolve("be.npy")
        + ": dtype '>f8' is not supported; expected '<f4' (float32) or '<f8' (float64), little-endian"
        + " (this one is big-endian; convert with a.astype('<f8'))");
    NpyArray scalar = Npy.read(dir.resolve("scalar.npy"));
    assertThat(scalar.shape()).isEmpty();
    assertThat(scalar.data()).containsExactly(7.5);
  }

  @Test
  void rowReaderStreamsInChunks(@TempDir Path dir) throws Exception {
    NpyTest.py("import numpy as np, sys; np.save(sys.argv[1], np.arange(70, dtype=np.float64).reshape(7, 2, 5))",
        dir.resolve("r.npy").toString());
    try (NpyRowReader r = NpyRowReader.open(dir.resolve("r.npy"))) {
      assertThat(r.rows()).isEqualTo(7);
      assertThat(r.rowLength()).isEqualTo(10);
      double[] buf = new double[30];
      double next = 0;
      int total = 0;
      for (int n; (n = r.read(buf, 3)) > 0; ) {
        for (int i = 0; i < n * 10; i++) {
          assertThat(buf[i]).isEqualTo(next++);
        }
        total += n;
      }
      assertThat(total).isEqualTo(7);
      assertThat(r.remaining()).isZero();
    }
    Path cut = dir.resolve("cut.npy");
    byte[] all = Files.readAllBytes(dir.resolve("r.npy"));
    Files.write(cut, Arrays.copyOf(all, all.length - 8));
    assertThatThrownBy(() -> NpyRowReader.open(cut)).hasMessageStartingWith(cut + ": expected " + all.length
        + " bytes for shape [7, 2, 5] <f8, the file has " + (all.length - 8) + " (truncated)");
  }

  @Test
  void numpyReadsTheArchivesWeWrite(@TempDir Path dir) throws Exception {
    Npy.writeNpz(dir.resolve("w.npz"), Map.of("sigma", NpyArray.float64(new double[] {2, 1, 1, 3}, 2, 2)));
    assertThat(NpyTest.py("import numpy as np, sys; s = np.load(sys.argv[1])['sigma']; print(s.dtype, s.shape,"
        + " s.ravel().tolist())", dir.resolve("w.npz").toString())).isEqualTo("float64 (2, 2) [2.0, 1.0, 1.0, 3.0]");
  }

  @Test
  void refusesArchivesThatAreNotZips(@TempDir Path dir) throws Exception {
    Path junk = dir.resolve("junk.npz");
    Files.writeString(junk, "not a zip");
    assertThatThrownBy(() -> Npy.readNpz(junk)).hasMessageStartingWith(junk + ": not an .npz archive");
  }

  @Property(tries = 20)
  void roundTripsRandomMatrices(@ForAll @IntRange(min = 0, max = 9) int rows, @ForAll @IntRange(min = 1, max = 9) int cols,
      @ForAll long seed) throws Exception {
    java.util.Random r = new java.util.Random(seed);
    double[] v = new double[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextGaussian() * 1e3;
    }
    NpyArray a = NpyArray.float64(v, rows, cols);
    assertThat(Npy.decode("mem", Npy.encode(a))).isEqualTo(a);
  }
}
