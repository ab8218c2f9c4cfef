package dev.jdiffusion.trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Every file under a directory with its size, modification time and SHA-256: equal snapshots, nothing written.
 * Shared with cli's tests through this module's test-jar.
 *
 * @param files each path relative to the directory (directories end in {@code /}) with what was found there
 */
public record DirectorySnapshot(Map<String, String> files) {
  /** The snapshot of {@code dir}; empty if it does not exist. */
  public static DirectorySnapshot of(Path dir) {
    Map<String, String> files = new TreeMap<>();
    if (!Files.exists(dir)) {
      return new DirectorySnapshot(files);
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        String key = dir.relativize(p).toString();
        if (Files.isDirectory(p)) {
          files.put(key + "/", "dir");
        } else {
          MessageDigest sha = MessageDigest.getInstance("SHA-256");
          files.put(key, Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis() + " "
              + HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return new DirectorySnapshot(files);
  }
}
