package dev.jdiffusion.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic writes and stored ZIP entries, read back with the JDK's own readers. */
class FilesTest {

  @Test
  void atomicWriteReplacesTheFileAndLeavesNoTemporaryFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("sub/dir/out.txt");
    AtomicFiles.write(file, out -> out.write("first".getBytes(StandardCharsets.UTF_8)));
    assertThat(file).hasContent("first");
    AtomicFiles.write(file, out -> out.write("second".getBytes(StandardCharsets.UTF_8)));
    assertThat(file).hasContent("second");
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void aFailingBodyKeepsTheOldFileAndLeavesNoTemporaryFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("out.txt");
    Files.writeString(file, "old");
    assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
      out.write(1);
      throw new IOException("disk full");
    })).hasMessage(file + ": disk full");
    assertThat(file).hasContent("old");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void storedEntriesAreUncompressedWithTheirCrcAndAZeroTime() throws IOException {
    byte[] a = "hello, zip".getBytes(StandardCharsets.UTF_8);
    byte[] b = new byte[1000];
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      StoredZipEntries.put(zip, "a.txt", a);
      StoredZipEntries.put(zip, "dir/b.bin", b);
    }
    byte[] archive = bytes.toByteArray();
    // stored: both payloads appear verbatim in the archive
    assertThat(new String(archive, StandardCharsets.ISO_8859_1)).contains("hello, zip");
    assertThat(archive.length).isGreaterThan(a.length + b.length);
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(archive))) {
      ZipEntry e = in.getNextEntry();
      assertThat(e.getName()).isEqualTo("a.txt");
      assertThat(e.getMethod()).isEqualTo(ZipEntry.STORED);
      assertThat(e.getSize()).isEqualTo(a.length);
      assertThat(e.getCompressedSize()).isEqualTo(a.length);
      CRC32 crc = new CRC32();
      crc.update(a);
      assertThat(e.getCrc()).isEqualTo(crc.getValue());
      assertThat(in.readAllBytes()).isEqualTo(a);
      ZipEntry f = in.getNextEntry();
      assertThat(f.getName()).isEqualTo("dir/b.bin");
      assertThat(in.readAllBytes()).isEqualTo(b);
      assertThat(in.getNextEntry()).isNull();
    }
    // the same content gives the same archive
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(again)) {
      StoredZipEntries.put(zip, "a.txt", a);
      StoredZipEntries.put(zip, "dir/b.bin", b);
    }
    assertThat(again.toByteArray()).isEqualTo(archive);
  }
}
