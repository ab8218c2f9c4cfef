package dev.jdiffusion.plugins.dataset;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Fetches a file from a URL ({@code https:}, {@code http:} or {@code file:}) into a cache directory,
 * verifying its checksum before it is kept: the bytes go to a temporary file beside the target and are
 * moved into place only when the digest matches, so a cut-off or tampered download never looks like a
 * cached file.
 */
final class Download {
  private static final int TIMEOUT_MILLIS = 30_000;

  /**
   * An expected digest.
   *
   * @param algorithm a {@link MessageDigest} name, {@code MD5} or {@code SHA-256}
   * @param hex the digest in hexadecimal (either case)
   */
  record Checksum(String algorithm, String hex) {
    Checksum {
      hex = hex.toLowerCase(Locale.ROOT);
    }

    static Checksum md5(String hex) {
      return new Checksum("MD5", hex);
    }

    static Checksum sha256(String hex) {
      return new Checksum("SHA-256", hex);
    }

    @Override
    public String toString() {
      return algorithm + " " + hex;
    }
  }

  private Download() {}

  /**
   * Downloads {@code url} to {@code target} unless it is already there, and returns {@code target}.
   *
   * @throws DatasetFormatException when the checksum does not match (the download is deleted)
   * @throws IOException when the URL cannot be read; the message names it
   */
  static Path fetch(URI url, Path target, Checksum checksum) throws IOException {
    if (Files.isRegularFile(target)) {
      return target;
    }
    Files.createDirectories(target.toAbsolutePath().getParent());
    Path partial = Files.createTempFile(target.toAbsolutePath().getParent(), target.getFileName() + ".", ".part");
    try {
      MessageDigest digest = digest(checksum.algorithm());
      URLConnection connection = url.toURL().openConnection();
      connection.setConnectTimeout(TIMEOUT_MILLIS);
      connection.setReadTimeout(TIMEOUT_MILLIS);
      try (InputStream in = new DigestInputStream(connection.getInputStream(), digest);
          OutputStream out = Files.newOutputStream(partial)) {
        in.transferTo(out);
      } catch (IOException e) {
        throw new IOException("cannot download " + url + ": " + e, e);
      }
      String found = HexFormat.of().formatHex(digest.digest());
      if (!found.equals(checksum.hex())) {
        throw new DatasetFormatException(
            url.toString(), checksum.algorithm() + " " + checksum.hex(), checksum.algorithm() + " " + found
                + " (" + Files.size(partial) + " bytes downloaded; nothing was kept)", null);
      }
      try {
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return target;
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /** The digest of a file, in lower-case hexadecimal. */
  static String digestOf(Path file, String algorithm) throws IOException {
    MessageDigest digest = digest(algorithm);
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("no " + algorithm + " digest in this JVM", e);
    }
  }
}
