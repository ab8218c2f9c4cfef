package dev.jdiffusion.trainer;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.core.io.StoredZipEntries;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A training checkpoint: one ZIP file {@code step-NNNNNNNN.ckpt} holding
 * <ul>
 *   <li>{@code state.json}: format and version, the step, the RNG state (seed; every stream is a function of
 *       seed and step, see {@link StepRandom}), the update counts of AdamW and the EMA, the parameter names
 *       and shapes, the network ({@link UNetConfig}) and the resolved training configuration;
 *   <li>{@code weights.ndlist}, {@code ema.ndlist}: the live and averaged weights in parameter order, in
 *       DJL's {@code NDList} encoding;
 *   <li>{@code optimizer.ndlist}: AdamW's first moments, then its second moments.
 * </ul>
 * Written only from finite weights (checked first: {@link NonFiniteWeightsException}), and atomically: to a
 * temporary file {@code .step-NNNNNNNN.ckpt.<pid>.<random>.tmp} in the same directory, forced to disk,
 * renamed over the final name, and the directory forced ({@link AtomicFiles}), so a crash (or kill -9) at
 * any moment leaves every {@code step-*.ckpt} complete. Reading checks each entry's CRC-32, the format, the
 * array counts and that every weight is finite, so a truncated, zeroed or bit-flipped file is reported as
 * corrupt, never loaded; {@link #newestIntact} finds the newest checkpoint that reads.
 */
public final class Checkpoint {
  public static final String FORMAT = "jdiffusion-checkpoint";
  public static final int VERSION = 1;
  /** The suffix a corrupt checkpoint is renamed to when a resumed run moves it aside. */
  public static final String CORRUPT_SUFFIX = ".corrupt";
  private static final Pattern NAME = Pattern.compile("step-(\\d+)\\.ckpt");
  private static final List<String> ENTRIES = List.of("state.json", "weights.ndlist", "ema.ndlist", "optimizer.ndlist");
  private static final ObjectMapper JSON = new ObjectMapper();

  private Checkpoint() {}

  /**
   * What a checkpoint holds; the arrays belong to the manager given to {@link #read}.
   *
   * @param step updates completed
   * @param seed the run's seed
   * @param network the network's configuration
   * @param config the resolved training configuration, as JSON
   * @param parameterNames names in the order of the weight lists
   */
  public record Contents(long step, long seed, UNetConfig network, JsonNode config, List<String> parameterNames,
      NDList weights, NDList ema, long emaUpdates, NDList optimizer, long optimizerUpdates,
      Optional<LossScaler.State> lossScale) {}

  /**
   * A checkpoint that does not read.
   *
   * @param file the file
   * @param problem what is wrong, e.g. {@code entry weights.ndlist: invalid entry CRC}
   */
  public record Corrupt(Path file, String problem) {}

  /**
   * What {@link #newestIntact} found.
   *
   * @param newest the newest checkpoint that reads, with its contents, if any
   * @param corrupt the checkpoints newer than it that do not read, newest first
   */
  public record Scan(Optional<Intact> newest, List<Corrupt> corrupt) {}

  /** A checkpoint that reads, with what it holds. */
  public record Intact(Path file, Contents contents) {}

  /** The file name of the checkpoint after {@code step} updates. */
  public static String fileName(long step) {
    return String.format(Locale.ROOT, "step-%08d.ckpt", step);
  }

  /**
   * Writes {@code trainer}'s state to {@code dir}/{@link #fileName}, atomically; returns the file.
   *
   * @throws NonFiniteWeightsException when a live or averaged weight is NaN or infinite; nothing is written
   */
  public static Path write(Path dir, DiffusionTrainer trainer, JsonNode resolvedConfig) throws IOException {
    long step = trainer.completedSteps();
    List<String> names = trainer.parameterNames();
    NDList weights = trainer.parameters();
    NDList ema = trainer.emaWeights();
    Optional<String> bad = firstNonFinite(names, weights);
    String which = "weights";
    if (bad.isEmpty()) {
      bad = firstNonFinite(names, ema);
      which = "averaged (EMA) weights";
    }
    if (bad.isPresent()) {
      throw new NonFiniteWeightsException(step, "step " + step + ": the " + which + " hold NaN or infinite"
          + " values (first in " + bad.get() + "); no checkpoint was written for this step");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw AtomicFiles.naming(dir, e);
    }
    ObjectNode state = JSON.createObjectNode();
    state.put("format", FORMAT);
    state.put("version", VERSION);
    state.put("step", step);
    ObjectNode rng = state.putObject("rng");
    rng.put("generator", "SplitMix64 streams keyed by (seed, step, purpose)");
    rng.put("seed", trainer.options().seed());
    rng.put("nextStep", step);
    state.putObject("optimizer").put("name", "adamw").put("updates", trainer.optimizer().updates());
    state.putObject("ema").put("updates", trainer.ema().updates());
    if (trainer.lossScaler().isDynamic()) {   // float16 on a GPU: the loss scale goes on where it was
      LossScaler.State scale = trainer.lossScaler().state();
      state.putObject("lossScale").put("scale", scale.scale()).put("finiteSteps", scale.finiteSteps());
    }
    ArrayNode params = state.putArray("parameters");
    for (int i = 0; i < names.size(); i++) {
      ObjectNode p = params.addObject();
      p.put("name", names.get(i));
      ArrayNode shape = p.putArray("shape");
      for (long d : weights.get(i).getShape().getShape()) {
        shape.add(d);
      }
    }
    state.set("network", JSON.valueToTree(trainer.network().config()));
    state.set("config", resolvedConfig);

    Path target = dir.resolve(fileName(step));
    Path tmp = AtomicFiles.createTemporary(target, "tmp");
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream raw = java.nio.channels.Channels.newOutputStream(channel);
          ZipOutputStream zip = new ZipOutputStream(new java.io.BufferedOutputStream(raw, 1 << 20))) {
        StoredZipEntries.put(zip, "state.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
        StoredZipEntries.put(zip, "weights.ndlist", weights.encode());
        pauseForTests(zip);
        StoredZipEntries.put(zip, "ema.ndlist", ema.encode());
        StoredZipEntries.put(zip, "optimizer.ndlist", trainer.optimizer().state().encode());
        zip.finish();
        zip.flush();
        channel.force(true);
      } catch (IOException e) {
        throw AtomicFiles.naming(target, e);
      }
      AtomicFiles.commit(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }

  /**
   * Fault injection for the tests that kill a process while it writes a checkpoint: with
   * {@code -Djdiffusion.test.checkpointPauseMillis=N}, every write stops for N ms half-way, its temporary
   * file partly written. Not for use outside tests.
   */
  private static void pauseForTests(ZipOutputStream zip) throws IOException {
    long millis = Long.getLong("jdiffusion.test.checkpointPauseMillis", 0);
    if (millis > 0) {
      zip.flush();
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The first parameter whose array holds a NaN or an infinity, as {@code "<name> (<n> of <size> values)"},
   * or empty when every value is finite.
   */
  static Optional<String> firstNonFinite(List<String> names, NDList arrays) {
    for (int i = 0; i < arrays.size(); i++) {
      float[] values = arrays.get(i).toFloatArray();
      int bad = 0;
      for (float v : values) {
        if (!Float.isFinite(v)) {
          bad++;
        }
      }
      if (bad > 0) {
        return Optional.of((i < names.size() ? names.get(i) : "array " + i) + " (" + bad + " of "
            + values.length + " values)");
      }
    }
    return Optional.empty();
  }

  /**
   * Reads a checkpoint.
   *
   * @throws NoSuchFileException when the file does not exist
   * @throws IOException naming the file and what is missing or wrong (a corrupt checkpoint)
   */
  public static Contents read(Path file, NDManager manager) throws IOException {
    Map<String, byte[]> entries = new HashMap<>();
    try (InputStream in = Files.newInputStream(file);
        ZipInputStream zip = new ZipInputStream(new java.io.BufferedInputStream(in, 1 << 20))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try {
          zip.transferTo(buffer); // ZipInputStream checks the entry's size and CRC-32 at its end
        } catch (IOException x) {
          throw new IOException(file + ": entry " + e.getName() + ": " + x.getMessage(), x);
        }
        entries.put(e.getName(), buffer.toByteArray());
      }
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(file + ": ")) {
        throw e;
      }
      throw new IOException(file + ": not a readable checkpoint (" + e.getMessage() + ")", e);
    } catch (IllegalArgumentException e) {
      // a mangled entry name ("MALFORMED" in ZipCoder)
      throw new IOException(file + ": not a readable checkpoint (" + e.getMessage() + ")", e);
    }
    if (entries.isEmpty()) {
      throw new IOException(file + ": not a checkpoint (no ZIP entries; the file is empty, zeroed or of"
          + " another kind)");
    }
    for (String name : ENTRIES) {
      if (!entries.containsKey(name)) {
        throw new IOException(file + ": not a complete checkpoint, the entry " + name + " is missing");
      }
    }
    JsonNode state;
    UNetConfig network;
    try {
      state = JSON.readTree(entries.get("state.json"));
      if (!FORMAT.equals(state.path("format").asText()) || state.path("version").asInt() != VERSION) {
        throw new IOException(file + ": expected format " + FORMAT + " version " + VERSION + ", found "
            + state.path("format").asText() + " version " + state.path("version").asText());
      }
      network = JSON.treeToValue(state.get("network"), UNetConfig.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String m = String.valueOf(e.getMessage());
      throw new IOException(file + ": entry state.json is not valid ("
          + (m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m) + ")", e);
    }
    List<String> names = new ArrayList<>();
    state.path("parameters").forEach(p -> names.add(p.path("name").asText()));
    NDList weights = decode(file, "weights.ndlist", entries, manager, names.size());
    NDList ema = decode(file, "ema.ndlist", entries, manager, names.size());
    NDList optimizer = decode(file, "optimizer.ndlist", entries, manager, 2 * names.size());
    for (var e : Map.of("weights.ndlist", weights, "ema.ndlist", ema).entrySet()) {
      Optional<String> bad = firstNonFinite(names, e.getValue());
      if (bad.isPresent()) {
        throw new IOException(file + ": entry " + e.getKey() + " holds NaN or infinite weights (first in "
            + bad.get() + ")");
      }
    }
    return new Contents(state.path("step").asLong(), state.path("rng").path("seed").asLong(), network,
        state.path("config"), List.copyOf(names), weights, ema, state.path("ema").path("updates").asLong(),
        optimizer, state.path("optimizer").path("updates").asLong(), lossScale(file, state.path("lossScale")));
  }

  /** The float16 loss scale a checkpoint records ({@code lossScale}); absent for fp32 and bfloat16 runs. */
  private static Optional<LossScaler.State> lossScale(Path file, JsonNode node) throws IOException {
    if (node.isMissingNode()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new LossScaler.State(node.path("scale").asDouble(), node.path("finiteSteps").asInt(-1)));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": entry state.json: lossScale is not valid (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The newest checkpoint in {@code dir} that reads, and the newer ones that do not. The arrays of the
   * intact one belong to {@code manager}.
   */
  public static Scan newestIntact(Path dir, NDManager manager) throws IOException {
    List<Path> all = list(dir);
    List<Corrupt> corrupt = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0; i--) {
      Path file = all.get(i);
      NDManager scratch = manager.newSubManager();
      try {
        Contents c = read(file, scratch);
        c.weights().attach(manager); // hand the arrays to the caller's manager before the scratch one closes
        c.ema().attach(manager);
        c.optimizer().attach(manager);
        scratch.close();
        return new Scan(Optional.of(new Intact(file, c)), List.copyOf(corrupt));
      } catch (NoSuchFileException e) {
        scratch.close(); // deleted meanwhile
      } catch (IOException e) {
        scratch.close();
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        corrupt.add(new Corrupt(file, m.startsWith(file + ": ") ? m.substring(file.toString().length() + 2) : m));
      }
    }
    return new Scan(Optional.empty(), List.copyOf(corrupt));
  }

  /**
   * The network of a checkpoint with its weights, ready for inference or export: built from the stored
   * {@link UNetConfig}, initialized in {@code manager} for batch size 1, then given the averaged (EMA)
   * weights when {@code ema} is true, else the live ones.
   *
   * @throws IOException when the file is not a checkpoint or its weights do not fit the network
   */
  public static dev.jdiffusion.trainer.unet.UNet loadNetwork(Path file, NDManager manager, boolean ema)
      throws IOException {
    try (NDManager scratch = manager.newSubManager()) {
      Contents c = read(file, scratch);
      UNetConfig n = c.network();
      dev.jdiffusion.trainer.unet.UNet net = new dev.jdiffusion.trainer.unet.UNet(n);
      net.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32,
          new ai.djl.ndarray.types.Shape(1, n.imageChannels(), n.imageSize(), n.imageSize()),
          new ai.djl.ndarray.types.Shape(1));
      NDList weights = ema ? c.ema() : c.weights();
      int i = 0;
      for (var pair : net.getParameters()) {
        if (i >= c.parameterNames().size() || !pair.getKey().equals(c.parameterNames().get(i))) {
          throw new IOException(file + ": parameter " + i + " is "
              + (i < c.parameterNames().size() ? c.parameterNames().get(i) : "missing")
              + " but the network's is " + pair.getKey());
        }
        try {
          AdamW.copyInto(weights.get(i), pair.getValue().getArray(), pair.getKey());
        } catch (IllegalArgumentException e) {
          throw new IOException(file + ": " + e.getMessage(), e);
        }
        i++;
      }
      return net;
    }
  }

  private static NDList decode(Path file, String entry, Map<String, byte[]> entries, NDManager manager,
      int expected) throws IOException {
    NDList list;
    try {
      list = NDList.decode(manager, new ByteArrayInputStream(entries.get(entry)));
    } catch (RuntimeException | OutOfMemoryError e) {
      throw new IOException(file + ": entry " + entry + " is not a valid NDList (" + e.getMessage() + ")", e);
    }
    if (list.size() != expected) {
      throw new IOException(file + ": entry " + entry + " holds " + list.size() + " arrays, expected " + expected);
    }
    return list;
  }

  /** The checkpoints in {@code dir}, oldest first (by step). */
  public static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
          .sorted((a, b) -> Long.compare(stepOf(a), stepOf(b))).toList();
    }
  }

  /** The newest checkpoint in {@code dir}, if any (whether it reads or not; see {@link #newestIntact}). */
  public static Optional<Path> latest(Path dir) throws IOException {
    List<Path> all = list(dir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Deletes all but the newest {@code keep} checkpoints. */
  static void prune(Path dir, int keep) throws IOException {
    List<Path> all = list(dir);
    for (int i = 0; i < all.size() - keep; i++) {
      Files.deleteIfExists(all.get(i));
    }
  }

  /** The step in a checkpoint's file name, or -1 when it is not named like one. */
  public static long stepOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }
}
