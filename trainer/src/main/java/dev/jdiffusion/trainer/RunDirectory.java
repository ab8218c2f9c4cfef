package dev.jdiffusion.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jdiffusion.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A training run's directory, held by one process at a time:
 * <pre>
 *   DIR/lock                 locked (POSIX record lock) while a process trains here; holds its pid
 *   DIR/config.json          the resolved configuration
 *   DIR/metrics.jsonl        one line per step
 *   DIR/checkpoints/step-NNNNNNNN.ckpt
 * </pre>
 * The lock is taken with {@link FileChannel#tryLock()}, which the operating system releases when the
 * process ends, however it ends (kill -9 included), so a stale lock never needs removing; the lock file
 * itself is never deleted (deleting a lock file races with a process that has just opened it).
 *
 * <p>Nothing is written here before the caller has checked that it may: {@link #lock} creates only the
 * directory (when missing) and the empty lock file; the writing methods are called after
 * {@link TrainingRun} has compared the directory's run with the configuration.
 */
public final class RunDirectory implements AutoCloseable {
  public static final String CONFIG = "config.json";
  public static final String METRICS = "metrics.jsonl";
  public static final String CHECKPOINTS = "checkpoints";
  public static final String LOCK = "lock";

  /**
   * The fields of a resolved configuration that may differ between a run and its continuation: they
   * extend a run (more steps, other checkpoint and log intervals, another device) without changing what
   * it computes. Every other field belongs to the run's objective, optimizer, data or network.
   */
  public static final Set<String> EXTENDABLE = Set.of("training.steps", "training.checkpointEvery",
      "training.keepCheckpoints", "training.logEvery", "training.device");

  private static final String PRECISION = "training.precision";

  /** Temporary files of writers before AtomicFiles tagged them: {@code metrics.jsonl123.tmp}, {@code .step-N.ckpt.123.tmp}. */
  private static final Pattern LEGACY_TEMPORARY =
      Pattern.compile("(config\\.json|metrics\\.jsonl)-?\\d+\\.tmp|\\.step-\\d+\\.ckpt\\.-?\\d+\\.tmp");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private RunDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Takes the directory's lock, creating the directory when it is missing.
   *
   * @throws RunDirectoryException.Locked when another process (or another run in this one) holds it
   * @throws IOException naming the directory when it cannot be created or locked
   */
  public static RunDirectory lock(Path dir) throws IOException {
    try {
      Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(dir + ": not a directory (a file of this name exists)", e);
    } catch (IOException e) {
      throw AtomicFiles.naming(dir, e);
    }
    Path file = dir.resolve(LOCK);
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw AtomicFiles.naming(file, e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException e) {
      channel.close();
      throw AtomicFiles.naming(file, e);
    }
    if (lock == null) {
      String holder = holder(channel);
      channel.close();
      throw new RunDirectoryException.Locked(dir, dir + " is in use by another training process"
          + (holder.isEmpty() ? "" : " (pid " + holder + ")") + ": wait for it to finish, or choose another --out");
    }
    return new RunDirectory(dir, channel, lock);
  }

  private static String holder(FileChannel channel) {
    try {
      ByteBuffer b = ByteBuffer.allocate(32);
      channel.read(b, 0);
      String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
      return s.matches("\\d{1,19}") ? s : "";
    } catch (IOException e) {
      return "";
    }
  }

  public Path dir() {
    return dir;
  }

  public Path config() {
    return dir.resolve(CONFIG);
  }

  public Path metrics() {
    return dir.resolve(METRICS);
  }

  public Path checkpoints() {
    return dir.resolve(CHECKPOINTS);
  }

  /** The checkpoints here, oldest first. */
  public List<Path> checkpointFiles() throws IOException {
    return Checkpoint.list(checkpoints());
  }

  /**
   * The stored {@code config.json}, if there is one; an unreadable one counts as present (a JSON null
   * node), so that it is never silently replaced.
   */
  public Optional<JsonNode> storedConfig() {
    Path file = config();
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readTree(file.toFile()));
    } catch (IOException e) {
      return Optional.of(com.fasterxml.jackson.databind.node.NullNode.getInstance());
    }
  }

  /** Whether a run has been started here: a {@code config.json} or a checkpoint. */
  public boolean holdsRun() throws IOException {
    return Files.exists(config()) || !checkpointFiles().isEmpty();
  }

  /** Writes this process's id into the lock file, for the message another process gets. */
  public void claim() throws IOException {
    byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
    try {
      lockChannel.truncate(0);
      lockChannel.write(ByteBuffer.wrap(pid), 0);
    } catch (IOException e) {
      throw AtomicFiles.naming(dir.resolve(LOCK), e);
    }
  }

  /**
   * Removes the temporary files that killed writes left here and in {@code checkpoints/}. Safe while the
   * lock is held: no other process writes here then.
   */
  public List<Path> removeTemporaryFiles() throws IOException {
    List<Path> removed = new ArrayList<>();
    for (Path d : List.of(dir, checkpoints())) {
      removed.addAll(AtomicFiles.removeTemporaryFiles(d, p -> true));
      if (Files.isDirectory(d)) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
          for (Path p : files) {
            if (LEGACY_TEMPORARY.matcher(p.getFileName().toString()).matches() && Files.deleteIfExists(p)) {
              removed.add(p);
            }
          }
        }
      }
    }
    return removed;
  }

  /**
   * Deletes the run kept here ({@code --overwrite}): its checkpoints (and ones set aside as corrupt),
   * {@code config.json} and {@code metrics.jsonl}. Other files are left alone.
   */
  public void removeRun() throws IOException {
    removeTemporaryFiles();
    Path cp = checkpoints();
    if (Files.isDirectory(cp)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(cp)) {
        for (Path p : files) {
          String name = p.getFileName().toString();
          if (Checkpoint.stepOf(p) >= 0 || name.matches("step-\\d+\\.ckpt" + Pattern.quote(Checkpoint.CORRUPT_SUFFIX))) {
            Files.delete(p);
          }
        }
      }
    }
    Files.deleteIfExists(config());
    Files.deleteIfExists(metrics());
    AtomicFiles.forceDirectory(dir);
  }

  /** Renames {@code file} to {@code file.corrupt}, out of the way of the run but kept; returns the new name. */
  public Path setAside(Path file) throws IOException {
    Path aside = file.resolveSibling(file.getFileName() + Checkpoint.CORRUPT_SUFFIX);
    Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    AtomicFiles.forceDirectory(file.getParent());
    return aside;
  }

  /**
   * The fields of two resolved configurations that differ, other than the {@link #EXTENDABLE} ones, each
   * as {@code path (old -> new)}, in path order.
   */
  public static List<String> differences(JsonNode stored, JsonNode now) {
    Set<String> out = new TreeSet<>();
    collect("", stored, now, out);
    return List.copyOf(out);
  }

  private static void collect(String path, JsonNode a, JsonNode b, Set<String> out) {
    if (EXTENDABLE.contains(path)) {
      return;
    }
    if (path.equals(PRECISION) && (a == null ? Precision.FP32.id() : a.asText()).equals(
        b == null ? Precision.FP32.id() : b.asText())) {
      return; // runs from before training.precision existed were fp32
    }
    boolean aObject = a != null && a.isObject();
    boolean bObject = b != null && b.isObject();
    if (aObject && bObject) {
      Set<String> names = new TreeSet<>();
      a.fieldNames().forEachRemaining(names::add);
      b.fieldNames().forEachRemaining(names::add);
      for (String n : names) {
        collect(path.isEmpty() ? n : path + "." + n, a.get(n), b.get(n), out);
      }
      return;
    }
    if (!equalValues(a, b)) {
      out.add((path.isEmpty() ? "(the whole configuration)" : path) + " (" + show(a) + " -> " + show(b) + ")");
    }
  }

  private static boolean equalValues(JsonNode a, JsonNode b) {
    boolean aMissing = a == null || a.isMissingNode() || a.isNull();
    boolean bMissing = b == null || b.isMissingNode() || b.isNull();
    if (aMissing || bMissing) {
      return aMissing && bMissing;
    }
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a.equals(b);
  }

  private static String show(JsonNode n) {
    if (n == null || n.isMissingNode() || n.isNull()) {
      return "unset";
    }
    String s = n.isTextual() ? n.asText() : n.toString();
    return s.length() <= 60 ? s : s.substring(0, 50) + "...";
  }

  /** The network's JSON fields under {@code model.}, to compare networks as the configuration names them. */
  static JsonNode asModel(Object network) {
    return JSON.valueToTree(Map.of("model", network));
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      lockChannel.close();
    }
  }
}
