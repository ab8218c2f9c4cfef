package dev.jdiffusion.trainer;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.nio.file.StandardCopyOption;
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
 * Written atomically: to a temporary file in the same directory, forced to disk, then renamed over the
 * final name, so a crash (or kill -9) at any moment leaves every {@code step-*.ckpt} complete.
 */
public final class Checkpoint {
  public static final String FORMAT = "jdiffusion-checkpoint";
  public static final int VERSION = 1;
  private static final Pattern NAME = Pattern.compile("step-(\\d+)\\.ckpt");
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
      NDList weights, NDList ema, long emaUpdates, NDList optimizer, long optimizerUpdates) {}

  /** The file name of the checkpoint after {@code step} updates. */
  public static String fileName(long step) {
    return String.format(Locale.ROOT, "step-%08d.ckpt", step);
  }

  /** Writes {@code trainer}'s state to {@code dir}/{@link #fileName}, atomically; returns the file. */
  public static Path write(Path dir, DiffusionTrainer trainer, JsonNode resolvedConfig) throws IOException {
    Files.createDirectories(dir);
    long step = trainer.completedSteps();
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
    ArrayNode params = state.putArray("parameters");
    NDList weights = trainer.parameters();
    List<String> names = trainer.parameterNames();
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
    Path tmp = Files.createTempFile(dir, "." + fileName(step) + ".", ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING);
          OutputStream raw = java.nio.channels.Channels.newOutputStream(channel);
          ZipOutputStream zip = new ZipOutputStream(new java.io.BufferedOutputStream(raw, 1 << 20))) {
        StoredZipEntries.put(zip, "state.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
        StoredZipEntries.put(zip, "weights.ndlist", weights.encode());
        StoredZipEntries.put(zip, "ema.ndlist", trainer.emaWeights().encode());
        StoredZipEntries.put(zip, "optimizer.ndlist", trainer.optimizer().state().encode());
        zip.finish();
        zip.flush();
        channel.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    forceDirectory(dir);
    return target;
  }


  private static void forceDirectory(Path dir) {
    try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every file system lets a directory be opened; the rename itself is still atomic
    }
  }

  /**
   * Reads a checkpoint.
   *
   * @throws IOException naming the file and what is missing or wrong
   */
  public static Contents read(Path file, NDManager manager) throws IOException {
    Map<String, byte[]> entries = new HashMap<>();
    try (InputStream in = Files.newInputStream(file);
        ZipInputStream zip = new ZipInputStream(new java.io.BufferedInputStream(in, 1 << 20))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        zip.transferTo(buffer);
        entries.put(e.getName(), buffer.toByteArray());
      }
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException(file + ": not a readable checkpoint (" + e.getMessage() + ")", e);
    }
    for (String name : List.of("state.json", "weights.ndlist", "ema.ndlist", "optimizer.ndlist")) {
      if (!entries.containsKey(name)) {
        throw new IOException(file + ": not a complete checkpoint, the entry " + name + " is missing");
      }
    }
    JsonNode state = JSON.readTree(entries.get("state.json"));
    if (!FORMAT.equals(state.path("format").asText()) || state.path("version").asInt() != VERSION) {
      throw new IOException(file + ": expected format " + FORMAT + " version " + VERSION + ", found "
          + state.path("format").asText() + " version " + state.path("version").asText());
    }
    List<String> names = new ArrayList<>();
    state.path("parameters").forEach(p -> names.add(p.path("name").asText()));
    UNetConfig network = JSON.treeToValue(state.get("network"), UNetConfig.class);
    NDList weights = decode(file, "weights.ndlist", entries, manager, names.size());
    NDList ema = decode(file, "ema.ndlist", entries, manager, names.size());
    NDList optimizer = decode(file, "optimizer.ndlist", entries, manager, 2 * names.size());
    return new Contents(state.path("step").asLong(), state.path("rng").path("seed").asLong(), network,
        state.path("config"), List.copyOf(names), weights, ema, state.path("ema").path("updates").asLong(),
        optimizer, state.path("optimizer").path("updates").asLong());
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
    } catch (RuntimeException e) {
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

  /** The newest checkpoint in {@code dir}, if any. */
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

  static long stepOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }
}
