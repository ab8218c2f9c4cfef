package dev.jdiffusion.sampling.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  /** Debian's python3 has numpy (python3-numpy, installed by CI). */
  static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  static String py(String code, String... args) throws Exception {
    String[] cmd = new String[args.length + 3];
    cmd[0] = python();
    cmd[1] = "-c";
    cmd[2] = code;
    System.arraycopy(args, 0, cmd, 3, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out.trim();
  }

  @Test
  void roundTripsBothDtypes(@TempDir Path dir) throws Exception {
    NpyArray f = NpyArray.float32(new float[] {1.5f, -2, 3, 4, 5, 6}, 2, 3);
    NpyArray d = NpyArray.float64(new double[] {Math.PI, Math.E}, 2);
    Npy.write(dir.resolve("f.npy"), f);
    Npy.write(dir.resolve("d.npy"), d);
    assertThat(Npy.read(dir.resolve("f.npy"))).isEqualTo(f);
    assertThat(Npy.read(dir.resolve("d.npy"))).isEqualTo(d);
    Map<String, NpyArray> stats = new LinkedHashMap<>();
    stats.put("mu", d);
    stats.put("sigma", NpyArray.float64(new double[] {1, 0, 0, 1}, 2, 2));
    Npy.writeNpz(dir.resolve("s.npz"), stats);
    assertThat(Npy.readNpz(dir.resolve("s.npz"))).isEqualTo(stats);
  }

  @Test
  void numpyReadsWhatWeWriteAndWeReadWhatNumpyWrites(@TempDir Path dir) throws Exception {
    Npy.write(dir.resolve("a.npy"), NpyArray.float32(new float[] {0.25f, -1, 2, 8}, 2, 1, 2));
    assertThat(py("import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, a.sum())",
        dir.resolve("a.npy").toString())).isEqualTo("float32 (2, 1, 2) 9.25");
    Npy.writeNpz(dir.resolve("s.npz"), Map.of("mu", NpyArray.float64(new double[] {1, 2}, 2)));
    assertThat(py("import numpy as np, sys; print(np.load(sys.argv[1])['mu'].tolist())",
        dir.resolve("s.npz").toString())).isEqualTo("[1.0, 2.0]");

    py("import numpy as np, sys; np.save(sys.argv[1], np.arange(12, dtype=np.float64).reshape(3, 4) / 8);"
        + " np.savez_compressed(sys.argv[2], mu=np.ones(3, np.float32), sigma=np.eye(3))",
        dir.resolve("n.npy").toString(), dir.resolve("n.npz").toString());
    NpyArray n = Npy.read(dir.resolve("n.npy"));
    assertThat(n.shape()).containsExactly(3, 4);
    assertThat(n.data()[11]).isEqualTo(11.0 / 8);
    Map<String, NpyArray> z = Npy.readNpz(dir.resolve("n.npz"));
    assertThat(z).containsOnlyKeys("mu", "sigma");
    assertThat(z.get("mu").dtype()).isEqualTo(Npy.FLOAT32);
    assertThat(z.get("sigma").data()).containsExactly(1, 0, 0, 0, 1, 0, 0, 0, 1);
  }

  @Test
  void unsupportedInputIsNamed(@TempDir Path dir) throws Exception {
    py("import numpy as np, sys; np.save(sys.argv[1], np.arange(3, dtype=np.int32));"
        + " np.save(sys.argv[2], np.asfortranarray(np.ones((2, 3))))",
        dir.resolve("i.npy").toString(), dir.resolve("f.npy").toString());
    assertThatThrownBy(() -> Npy.read(dir.resolve("i.npy")))
        .hasMessageStartingWith(dir.resolve("i.npy") + ": dtype '<i4' is not supported");
    assertThatThrownBy(() -> Npy.read(dir.resolve("f.npy")))
        .hasMessageContaining("Fortran-ordered arrays are not supported");
    Path junk = dir.resolve("junk.npy");
    Files.writeString(junk, "hello");
    assertThatThrownBy(() -> Npy.read(junk)).hasMessage(junk + ": not an .npy file (the magic string \\x93NUMPY is missing)");
    byte[] whole = Npy.bytes(NpyArray.float32(new float[] {1, 2, 3}, 3));
    Files.write(junk, java.util.Arrays.copyOf(whole, whole.length - 4));
    assertThatThrownBy(() -> Npy.read(junk)).hasMessageContaining("expected 12 bytes of data for shape [3] <f4, found 8");
  }
}
