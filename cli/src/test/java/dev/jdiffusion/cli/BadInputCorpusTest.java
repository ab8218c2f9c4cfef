package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import dev.jdiffusion.cli.WeightsCommandTest.Run;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.fid.FeatureMatrix;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.trainer.DirectorySnapshot;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of bad inputs (configurations, run directories, checkpoints, ONNX models, .npy files, image
 * folders, option values), each given to the command that reads it. For every one: the exit status, one
 * line on stderr that starts {@code error: } and names the file or field, nothing on stdout, no stack
 * trace, and nothing written or changed in the directory the case works in.
 */
class BadInputCorpusTest {
  @TempDir static Path fixtures;
  /** A valid configuration, a run of 2 steps trained with it, and that run exported to ONNX. */
  private static Path okConfig;
  private static Path okRun;
  private static Path okModel;

  static final String OK = """
      schedule: {name: cosine, timesteps: 100}
      parameterization: {name: v}
      weighter: {name: smoothed-kl, lambda: 0.2}
      dataset: {name: synthetic, count: 8, size: 8}
      model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: [4]}
      training: {steps: 2, batchSize: 4, lr: 1.0e-3, warmupSteps: 1, checkpointEvery: 1, logEvery: 1}
      """;

  @BeforeAll
  static void makeGoodInputs() throws Exception {
    okConfig = fixtures.resolve("ok.yaml");
    Files.writeString(okConfig, OK);
    okRun = fixtures.resolve("run");
    Run train = WeightsCommandTest.run("train", okConfig.toString(), "--out", okRun.toString());
    assertThat(train.exit()).as(train.err()).isZero();
    okModel = fixtures.resolve("model.onnx");
    Run export = WeightsCommandTest.run("export", okRun.toString(), "--out", okModel.toString());
    assertThat(export.exit()).as(export.err()).isZero();
  }

  /** One bad input: what to set up in the case's directory (returning the command line) and what to expect. */
  interface Setup {
    String[] apply(Path dir) throws Exception;
  }

  private static Arguments bad(String name, int exit, String message, Setup setup) {
    return Arguments.of(Named.of(name, setup), exit, message);
  }

  static Stream<Arguments> corpus() {
    return Stream.of(
        // configurations
        bad("config file missing", 2, "{d}/none.yaml: no such file",
            d -> train(d.resolve("none.yaml"))),
        bad("config is a directory", 2, "{d}/cfg.yaml: a directory, not a configuration file",
            d -> {
              Files.createDirectories(d.resolve("cfg.yaml"));
              return train(d.resolve("cfg.yaml"));
            }),
        bad("config empty", 2, "{d}/cfg.yaml: empty", d -> config(d, "\n")),
        bad("config binary", 2, "{d}/cfg.yaml: not a text file (not valid UTF-8)",
            file("cfg.yaml", d -> new byte[] {(byte) 0xc3, 0x28, (byte) 0xff, 0, 1}, (f, d) -> train(f))),
        bad("config YAML syntax", 2, "{d}/cfg.yaml: weighter: not valid JSON/YAML at line 4, column 8",
            d -> config(d, OK.replace("weighter: {name: smoothed-kl, lambda: 0.2}", "weighter: {name: [smoothed-kl"))),
        bad("config duplicate key", 2, "{d}/cfg.yaml: ",
            d -> config(d, OK + "training: {steps: 3}\n")),
        bad("config 2 MB", 2, "{d}/cfg.yaml: too large for a configuration",
            d -> config(d, OK + "# " + "x".repeat(2 << 20) + "\n")),
        bad("unknown weighter", 2, "{d}/cfg.yaml: weighter.name: unknown weighter 'nope'; available weighters:",
            d -> config(d, OK.replace("{name: smoothed-kl, lambda: 0.2}", "{name: nope}"))),
        bad("learning rate 0", 2, "{d}/cfg.yaml: training.lr: value 0.0 is not allowed: must be > 0 and finite",
            d -> config(d, OK.replace("lr: 1.0e-3", "lr: 0"))),
        bad("timesteps 1e8", 2, "{d}/cfg.yaml: schedule.timesteps: value 100000000 is not allowed: must be <= 100000",
            d -> config(d, OK.replace("timesteps: 100", "timesteps: 100000000"))),
        bad("image size 100000", 2, "{d}/cfg.yaml: dataset.size: value 100000 is not allowed: must be <= 4096",
            d -> config(d, OK.replace("size: 8}", "size: 100000}"))),
        bad("dataset count 2e9", 2, "{d}/cfg.yaml: dataset.count: value 2000000000 is not allowed: must be small"
                + " enough that 2000000000 images of 1x8x8",
            d -> config(d, OK.replace("count: 8", "count: 2000000000"))),
        bad("padding 100000", 2, "{d}/cfg.yaml: dataset.padding: value 100000 is not allowed: must be at most 2044",
            d -> config(d, OK.replace("size: 8}", "size: 8, padding: 100000}"))),
        bad("batch size 1e9", 2, "{d}/cfg.yaml: training.batchSize: value 1000000000 is not allowed: must be <= 65536",
            d -> config(d, OK.replace("batchSize: 4", "batchSize: 1000000000"))),
        bad("batch larger than the data", 2, "{d}/cfg.yaml: training.batchSize = 16 is more than the 8 images",
            d -> config(d, OK.replace("batchSize: 4", "batchSize: 16"))),
        bad("no dataset", 2, "{d}/cfg.yaml: dataset: missing required value",
            d -> config(d, OK.replace("dataset: {name: synthetic, count: 8, size: 8}\n", ""))),
        bad("--steps 0", 2, "--steps 0 is not allowed: must be >= 1",
            d -> concat(config(d, OK), "--steps", "0")),
        bad("--resume with --overwrite", 2, "--resume and --overwrite exclude each other",
            d -> concat(config(d, OK), "--resume", "--overwrite")),
        // data
        bad("Fashion-MNIST dir missing", 2, "{d}/nowhere: expected a directory holding train-images-idx3-ubyte[.gz]",
            d -> config(d, OK.replace("{name: synthetic, count: 8, size: 8}",
                "{name: fashion-mnist, dir: '" + d.resolve("nowhere") + "'}"))),
        bad("image folder empty", 2, "{d}/images: expected PNG or JPEG files", d -> imageFolder(d, Map.of())),
        bad("image folder with a broken PNG", 2, "{d}/images/b.png: expected a PNG or JPEG image",
            d -> imageFolder(d, Map.of("b.png", "not a png"))),
        // run directories
        bad("train into another run", 2, "{d}/run already holds another run (its config.json differs in training.lr;",
            d -> concat(config(d, OK.replace("lr: 1.0e-3", "lr: 2.0e-3")), "--out", copyRun(d).toString())),
        bad("train into this run without --resume", 2, "{d}/run already holds this run (2 checkpoints, up to step 2):"
                + " continue it with --resume",
            d -> concat(config(d, OK), "--out", copyRun(d).toString())),
        bad("resume with another weighter", 2, "--resume: the configuration differs from the run in {d}/run"
                + " (step-00000002.ckpt) in weighter.lambda (0.2 -> 0.5);",
            d -> concat(config(d, OK.replace("lambda: 0.2", "lambda: 0.5")), "--out", copyRun(d).toString(),
                "--resume")),
        bad("resume without a checkpoint", 2, "--resume: no checkpoint in {d}/empty/checkpoints",
            d -> {
              Files.createDirectories(d.resolve("empty"));
              return concat(config(d, OK), "--out", d.resolve("empty").toString(), "--resume");
            }),
        bad("resume when no checkpoint reads", 2, "--resume: no checkpoint in {d}/run/checkpoints reads:"
                + " step-00000002.ckpt (entry ",
            d -> {
              Path run = copyRun(d);
              Files.delete(run.resolve("checkpoints/step-00000001.ckpt"));
              flipByte(run.resolve("checkpoints/step-00000002.ckpt"));
              return concat(config(d, OK), "--out", run.toString(), "--resume");
            }),
        bad("--out is a file", 2, "--out {d}/cfg.yaml: cannot write there (Not a directory: {d}/cfg.yaml)",
            d -> concat(config(d, OK), "--out", d.resolve("cfg.yaml").toString())),
        // checkpoints
        bad("export a missing checkpoint", 2, "{d}/none.ckpt: no such checkpoint file or run directory",
            d -> export(d.resolve("none.ckpt"), d)),
        bad("export a truncated checkpoint", 2, "{d}/c.ckpt: entry ",
            file("c.ckpt", d -> firstHalf(okRun.resolve("checkpoints/step-00000002.ckpt")), BadInputCorpusTest::export)),
        bad("export random bytes", 2, "{d}/c.ckpt: not a checkpoint (no ZIP entries",
            file("c.ckpt", d -> noise(1, 5000), BadInputCorpusTest::export)),
        bad("export zeros", 2, "{d}/c.ckpt: not a checkpoint (no ZIP entries",
            file("c.ckpt", d -> new byte[5000], BadInputCorpusTest::export)),
        bad("export an empty file", 2, "{d}/c.ckpt: not a checkpoint (no ZIP entries",
            file("c.ckpt", d -> new byte[0], BadInputCorpusTest::export)),
        bad("export a run whose newest checkpoint is corrupt", 2, "{d}/run/checkpoints/step-00000002.ckpt is corrupt"
                + " (entry ",
            d -> {
              Path run = copyRun(d);
              flipByte(run.resolve("checkpoints/step-00000002.ckpt"));
              return export(run, d);
            }),
        bad("export a directory without checkpoints", 2, "{d}/empty: no step-*.ckpt checkpoint in {d}/empty",
            d -> {
              Files.createDirectories(d.resolve("empty"));
              return export(d.resolve("empty"), d);
            }),
        // ONNX models
        bad("sample a missing model", 2, "{d}/none.onnx: no such model file",
            d -> sample(d.resolve("none.onnx"), d)),
        bad("sample an empty file", 2, "{d}/m.onnx: not a readable ONNX model (ONNX Runtime: ",
            file("m.onnx", d -> new byte[0], BadInputCorpusTest::sample)),
        bad("sample random bytes", 2, "{d}/m.onnx: not a readable ONNX model (ONNX Runtime: ",
            file("m.onnx", d -> noise(2, 4000), BadInputCorpusTest::sample)),
        bad("sample a model without metadata", 2, "{d}/m.onnx: metadata key jdiffusion.format_version is missing",
            d -> sample(withMetadata(d, Map.of()), d)),
        bad("sample NaN alphabar", 2, "{d}/m.onnx: metadata jdiffusion.alphabar[50] = NaN is not allowed",
            d -> {
              Map<String, String> props = okMetadata();
              double[] alphabar = ModelMetadata.fromProperties("ok", props).alphabar().clone();
              alphabar[50] = Double.NaN;
              props.put("jdiffusion.alphabar", encode(alphabar));
              return sample(withMetadata(d, props), d);
            }),
        bad("sample channels that do not match the graph", 2, "{d}/m.onnx: input 'x' is FLOAT [-1, 1, 8, 8] but the"
                + " metadata describes images of 3x8x8",
            d -> {
              Map<String, String> props = okMetadata();
              props.put("jdiffusion.image.channels", "3");
              return sample(withMetadata(d, props), d);
            }),
        // option values
        bad("sample --n 0", 2, "--n and --batch must be >= 1", d -> concat(sample(okModel, d), "--n", "0")),
        bad("sample --sampler", 2, "--sampler: 'nope' is not one of ddpm, ddim, euler, heun, dpmpp-2m",
            d -> concat(sample(okModel, d), "--sampler", "nope")),
        bad("sample --eta 2", 2, "--eta: must be in [0, 1], got 2.0", d -> concat(sample(okModel, d), "--eta", "2")),
        bad("sample --steps 0", 2, "--steps: must be >= 1, got 0", d -> concat(sample(okModel, d), "--steps", "0")),
        // .npy files
        bad("fid: a truncated .npy", 2, "{d}/a.npy: ",
            file("a.npy", d -> Arrays.copyOf(Files.readAllBytes(features(d, "a.npy")), 100), BadInputCorpusTest::fid)),
        bad("fid: not an .npy", 2, "{d}/a.npy: ",
            file("a.npy", d -> "hello".getBytes(StandardCharsets.UTF_8), BadInputCorpusTest::fid)),
        bad("fid: one row", 2, "{d}/a.npy: 1 rows; FID needs at least 2",
            d -> {
              new FeatureMatrix(1, 3, new double[] {1, 2, 3}).save(d.resolve("a.npy"), Npy.FLOAT32);
              return fid(d.resolve("a.npy"), d);
            }),
        bad("fid: a missing file", 2, "A: '{d}/none.npy' is neither a file or folder nor a dataset",
            d -> fid(d.resolve("none.npy"), d)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void aBadInputIsOneLineNamingItAndWritesNothing(Setup setup, int exit, String message, @TempDir Path dir)
      throws Exception {
    String[] args = setup.apply(dir);
    DirectorySnapshot before = DirectorySnapshot.of(dir);
    Run r = WeightsCommandTest.run(args);
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertThat(r.exit()).as("exit status; stderr: %s", r.err()).isEqualTo(exit);
    assertThat(lines).as("stderr").isNotEmpty();
    assertThat(lines.get(0)).startsWith("error: " + message.replace("{d}", dir.toString()));
    // one line; only the list of available plugins may follow, indented
    assertThat(lines.subList(1, lines.size())).allSatisfy(l -> assertThat(l).startsWith("  ").doesNotContain("\tat "));
    if (!message.contains("available weighters")) {
      assertThat(lines).hasSize(1);
    }
    assertThat(r.out()).as("stdout").isEmpty();
    assertThat(DirectorySnapshot.of(dir)).as("files in the case's directory").isEqualTo(before);
  }

  // ---- the inputs

  /** The contents of a bad file, made in the case's directory. */
  interface Contents {
    byte[] in(Path dir) throws Exception;
  }

  /** The command that reads {@code file}, working in {@code dir}. */
  interface Command {
    String[] read(Path file, Path dir) throws Exception;
  }

  /** A case that writes {@code contents} to {@code dir/name} and gives that file to {@code command}. */
  private static Setup file(String name, Contents contents, Command command) {
    return dir -> {
      Path file = dir.resolve(name);
      byte[] bytes = contents.in(dir);
      Files.write(file, bytes);
      return command.read(file, dir);
    };
  }

  private static byte[] noise(long seed, int length) {
    byte[] noise = new byte[length];
    new Random(seed).nextBytes(noise);
    return noise;
  }

  private static byte[] firstHalf(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    return Arrays.copyOf(all, all.length / 2);
  }

  /** Training on an image folder {@code dir/images} holding {@code files} (name to text). */
  private static String[] imageFolder(Path dir, Map<String, String> files) throws IOException {
    Path images = Files.createDirectories(dir.resolve("images"));
    for (Map.Entry<String, String> f : files.entrySet()) {
      Files.writeString(images.resolve(f.getKey()), f.getValue());
    }
    return config(dir, OK.replace("{name: synthetic, count: 8, size: 8}",
        "{name: image-folder, dir: '" + images + "', size: 8, channels: 1, cache: false}"));
  }

  /** {@code fid} of the features in {@code a} against good ones. */
  private static String[] fid(Path a, Path dir) throws IOException {
    return new String[] {"fid", a.toString(), features(dir, "b.npy").toString()};
  }

  private static String[] train(Path config) {
    return new String[] {"train", config.toString()};
  }

  /** A configuration file with {@code text}, trained into {@code dir/out}. */
  private static String[] config(Path dir, String text) throws IOException {
    Path file = dir.resolve("cfg.yaml");
    Files.writeString(file, text);
    return new String[] {"train", file.toString(), "--out", dir.resolve("out").toString()};
  }

  private static String[] export(Path checkpoint, Path dir) {
    return new String[] {"export", checkpoint.toString(), "--out", dir.resolve("out/model.onnx").toString()};
  }

  private static String[] sample(Path model, Path dir) {
    return new String[] {"sample", model.toString(), "--n", "2", "--steps", "2", "--out", dir.resolve("out").toString()};
  }

  /** {@code args} with {@code more} appended; an option {@code more} gives again replaces its earlier value. */
  private static String[] concat(String[] args, String... more) {
    List<String> all = new ArrayList<>(List.of(args));
    for (int i = 0; i < more.length; i++) {
      int at = all.indexOf(more[i]);
      boolean valued = i + 1 < more.length && !more[i + 1].startsWith("--");
      if (at >= 0 && valued) {
        all.set(at + 1, more[++i]);
      } else {
        all.add(more[i]);
        if (valued) {
          all.add(more[++i]);
        }
      }
    }
    return all.toArray(String[]::new);
  }

  private static Path copyRun(Path dir) throws IOException {
    Path copy = dir.resolve("run");
    try (Stream<Path> files = Files.walk(okRun)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = copy.resolve(okRun.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return copy;
  }

  private static void flipByte(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x40);
    }
  }

  private static Map<String, String> okMetadata() throws IOException {
    Map<String, String> props = new java.util.HashMap<>();
    for (StringStringEntryProto e : ModelProto.parseFrom(Files.readAllBytes(okModel)).getMetadataPropsList()) {
      props.put(e.getKey(), e.getValue());
    }
    return props;
  }

  /** The good model with its metadata replaced by {@code props}. */
  private static Path withMetadata(Path dir, Map<String, String> props) throws IOException {
    ModelProto.Builder b = ModelProto.parseFrom(Files.readAllBytes(okModel)).toBuilder().clearMetadataProps();
    props.forEach((k, v) -> b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    Path file = dir.resolve("m.onnx");
    Files.write(file, b.build().toByteArray());
    return file;
  }

  private static String encode(double[] values) {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(values.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      buf.putDouble(v);
    }
    return java.util.Base64.getEncoder().encodeToString(buf.array());
  }

  private static Path features(Path dir, String name) throws IOException {
    Path file = dir.resolve(name);
    FidCommandTest.gaussian(name.hashCode(), 20, 3, 0).save(file, Npy.FLOAT32);
    return file;
  }
}
