package dev.jdiffusion.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

  @Test
  void writesTheWholeFileAndLeavesNoTemporaryFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("sub/data.bin");
    AtomicFiles.write(file, out -> out.write("first".getBytes(StandardCharsets.UTF_8)));
    AtomicFiles.write(file, out -> out.write("second".getBytes(StandardCharsets.UTF_8)));
    assertThat(Files.readString(file)).isEqualTo("second");
    try (Stream<Path> files = Files.list(dir.resolve("sub"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("data.bin");
    }
  }

  @Test
  void aBodyThatClosesItsStreamStillWritesTheWholeFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("a.zip");
    AtomicFiles.write(file, out -> {
      try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(out)) {
        zip.putNextEntry(new java.util.zip.ZipEntry("x"));
        zip.write(new byte[] {1, 2, 3});
      }
    });
    try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(Files.newInputStream(file))) {
      assertThat(in.getNextEntry().getName()).isEqualTo("x");
      assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
    }
  }

  @Test
  void aFailedBodyLeavesTheOldFileAndNoTemporaryFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("data.bin");
    Files.writeString(file, "old");
    assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
      out.write(1);
      throw new IOException("boom");
    })).hasMessage(file + ": boom");
    assertThat(Files.readString(file)).isEqualTo("old");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  /** The permissions of a new file are 0666 minus the umask, as for any file the shell creates. */
  @Test
  void newFilesFollowTheUmask(@TempDir Path dir) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "umask").start();
    int umask = Integer.parseInt(new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip(), 8);
    p.waitFor();
    Set<PosixFilePermission> expected = PosixFilePermissions.fromString(rwx(0666 & ~umask));
    Path file = dir.resolve("data.bin");
    AtomicFiles.write(file, out -> out.write(1));
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(expected);
    Path tmp = AtomicFiles.createTemporary(dir.resolve("other.bin"), "candidate");
    assertThat(Files.getPosixFilePermissions(tmp)).isEqualTo(expected);
  }

  @Test
  void temporaryFilesOfExitedWritersAreRecognisedAndRemoved(@TempDir Path dir) throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path dead = dir.resolve(".model.onnx." + gone.pid() + ".abc123.candidate");
    Files.writeString(dead, "partial");
    Path mine = AtomicFiles.createTemporary(dir.resolve("model.onnx"), "candidate");
    Path unrelated = dir.resolve(".hidden");
    Files.writeString(unrelated, "keep");
    assertThat(AtomicFiles.targetOf(dead)).contains("model.onnx");
    assertThat(AtomicFiles.targetOf(dir.resolve(".step-00000004.ckpt.12.x9.tmp"))).contains("step-00000004.ckpt");
    assertThat(AtomicFiles.leftBehind(dead)).isTrue();
    assertThat(AtomicFiles.leftBehind(mine)).isFalse();

    List<Path> removed = AtomicFiles.removeTemporaryFiles(dir, AtomicFiles::leftBehind);
    assertThat(removed).containsExactly(dead);
    assertThat(mine).exists();
    assertThat(unrelated).exists();
    assertThat(AtomicFiles.removeTemporaryFiles(dir, p -> true)).containsExactly(mine);
    assertThat(unrelated).exists();
  }

  @Test
  void errorsNameTheFile(@TempDir Path dir) throws IOException {
    Path notADirectory = dir.resolve("file");
    Files.writeString(notADirectory, "x");
    assertThatThrownBy(() -> AtomicFiles.write(notADirectory.resolve("data.bin"), out -> out.write(1)))
        .hasMessageContaining(notADirectory.toString());
    assertThat(AtomicFiles.naming(dir, new IOException("No space left on device")))
        .hasMessage(dir + ": No space left on device");
  }

  private static String rwx(int mode) {
    StringBuilder sb = new StringBuilder();
    for (int shift = 6; shift >= 0; shift -= 3) {
      int bits = (mode >> shift) & 7;
      sb.append((bits & 4) != 0 ? 'r' : '-').append((bits & 2) != 0 ? 'w' : '-').append((bits & 1) != 0 ? 'x' : '-');
    }
    return sb.toString();
  }
}
