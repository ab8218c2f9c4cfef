package dev.jdiffusion.core.io;

import java.io.IOException;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Uncompressed ("stored") ZIP entries with a zero time stamp, as checkpoints and TorchScript archives use
 * them: the bytes can be read in place, and the same content gives the same archive.
 */
public final class StoredZipEntries {
  private StoredZipEntries() {}

  /** Adds {@code bytes} to {@code zip} as the uncompressed entry {@code name}. */
  public static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(bytes.length);
    e.setCompressedSize(bytes.length);
    CRC32 crc = new CRC32();
    crc.update(bytes);
    e.setCrc(crc.getValue());
    e.setTime(0);
    zip.putNextEntry(e);
    zip.write(bytes);
    zip.closeEntry();
  }
}
