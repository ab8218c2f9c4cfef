package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.jdiffusion.exporter.onnx.GaussianOracle;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command and listing of docs/sampling.md runs, on the exact denoiser of Gaussian data exported as an
 * ONNX model (T = 1000) standing in for {@code model.onnx}: the {@code ./diffusion sample} lines, the
 * FID-per-evaluation script (with a tiny extractor and few images), and the Java listing (compiled and run).
 */
class SamplingDocsTest {
  static final Path DOC = Path.of("..", "docs", "sampling.md").toAbsolutePath().normalize();
  static final ImageShape SHAPE = new ImageShape(1, 2, 2);
  static Path dir;
  static Path model;

  @BeforeAll
  static void writeModel(@TempDir Path tmp) throws Exception {
    dir = tmp;
    double[] betas = new double[1000];
    for (int i = 0; i < 1000; i++) {
      betas[i] = 1e-4 + (0.02 - 1e-4) * i / 999;
    }
    NoiseSchedule s = NoiseSchedule.fromBetas(betas);
    model = tmp.resolve("model.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(s, 0.5, SHAPE, GaussianOracle.metadata(s, SHAPE)), model);
  }

  static List<String> blocks(String language) throws Exception {
    Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(DOC));
    List<String> out = new ArrayList<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  static List<String> commandLines(String prefix) throws Exception {
    List<String> lines = new ArrayList<>();
    for (String block : blocks("bash")) {
      for (String line : block.split("\n")) {
        if (line.contains(prefix)) {
          lines.add(line.trim());
        }
      }
    }
    return lines;
  }

  @Test
  void sampleCommandsRun() throws Exception {
    List<String> commands = commandLines("./diffusion sample ");
    assertThat(commands).hasSize(4);
    for (String command : commands) {
      List<String> args = new ArrayList<>(Arrays.asList(command.split(" +")));
      assertThat(args.subList(0, 3)).containsExactly("./diffusion", "sample", "model.onnx");
      args.set(2, model.toString());
      int out = args.indexOf("--out");
      Path target = dir.resolve("doc-" + args.get(out + 1).replace('/', '-'));
      args.set(out + 1, target.toString());
      var r = WeightsCommandTest.run(args.subList(1, args.size()).toArray(String[]::new));
      assertThat(r.exit()).as(command + "\n" + r.err()).isZero();
      NpyArray samples = Npy.read(target.resolve("samples.npy"));
      int n = args.contains("--n") ? Integer.parseInt(args.get(args.indexOf("--n") + 1)) : 64;
      assertThat(samples.shape()).as(command).containsExactly(n, 1, 2, 2);
    }
  }

  @Test
  void fidPerEvaluationScriptRuns() throws Exception {
    List<String> commands = commandLines("benchmarks/fid_per_nfe.sh");
    assertThat(commands).hasSize(1);
    List<String> words = Arrays.asList(commands.get(0).split(" +"));
    int script = words.indexOf("benchmarks/fid_per_nfe.sh");
    assertThat(words.subList(script + 1, words.size()))
        .containsExactly("model.onnx", "real.npz", "extractor.onnx", "out/fid-per-nfe");

    Path extractor = dir.resolve("extractor.onnx");   // features: the 4 pixels
    OnnxGraphBuilder g = new OnnxGraphBuilder("pixels");
    g.input("images", DataType.FLOAT, -1, 1, 2, 2);
    g.nodeInto("Flatten", new String[] {"images"}, "features", "axis", 1L);
    g.output("features", DataType.FLOAT, -1, 4);
    OnnxGraphBuilder.write(g.metadata("jdiffusion.extractor.name", "pixels").build("test"), extractor);
    Random random = new Random(3);
    float[] real = new float[200 * 4];
    for (int i = 0; i < real.length; i++) {
      real[i] = (float) Math.max(-1, Math.min(1, 0.5 * random.nextGaussian()));
    }
    Path images = dir.resolve("real.npy");
    Npy.write(images, NpyArray.float32(real, 200, 1, 2, 2));
    var stats = WeightsCommandTest.run("fid", images.toString(), images.toString(), "--extractor",
        extractor.toString(), "--save-stats-b", dir.resolve("real.npz").toString());
    assertThat(stats.exit()).as(stats.err()).isZero();

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path out = dir.resolve("fid-per-nfe");
    ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "benchmarks", "fid_per_nfe.sh").toString(),
        model.toString(), dir.resolve("real.npz").toString(), extractor.toString(), out.toString())
        .redirectErrorStream(true);
    pb.environment().put("N", "40");
    pb.environment().put("NFES", "5");
    pb.environment().put("SAMPLERS", "dpmpp-2m heun");
    pb.environment().put("DIFFUSION", java + " -Xmx512m -cp " + classpath + " dev.jdiffusion.cli.Main");
    pb.environment().put("PLOT_CLASSPATH", classpath);
    Process p = pb.start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(log).isZero();
    List<String> csv = Files.readAllLines(out.resolve("fid-per-nfe.csv"));
    assertThat(csv).as(log).hasSize(3);
    assertThat(csv.get(0)).isEqualTo("sampler,spacing,steps,nfe,fid,seconds");
    assertThat(csv.get(1)).as(log).matches("dpmpp-2m,logsnr,5,5,[0-9]+\\.[0-9]{6},[0-9]+\\.[0-9]{3}");
    assertThat(csv.get(2)).as(log).matches("heun,karras,3,5,[0-9]+\\.[0-9]{6},[0-9]+\\.[0-9]{3}");
    BufferedImage plot = ImageIO.read(out.resolve("fid-per-nfe.png").toFile());
    assertThat(plot).as(log).isNotNull();
    assertThat(plot.getWidth()).isEqualTo(800);
  }

  @Test
  void javaListingCompilesAndRuns() throws Exception {
    List<String> listings = blocks("java");
    assertThat(listings).hasSize(1);
    Path src = dir.resolve("src");
    Files.createDirectories(src);
    Path file = src.resolve("SampleWithDpmSolver.java");
    Files.writeString(file, listings.get(0));
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes);
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int status = ToolProvider.getSystemJavaCompiler().run(null, diagnostics, diagnostics, "-Xlint:all", "-Werror",
        "-classpath", classpath, "-d", classes.toString(), file.toString());
    assertThat(status).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      loader.loadClass("SampleWithDpmSolver").getMethod("main", String[].class)
          .invoke(null, (Object) new String[] {model.toString()});
    } finally {
      System.setOut(stdout);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8).trim()).isEqualTo("1010 images");
  }
}
