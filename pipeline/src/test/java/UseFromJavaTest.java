import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.pipeline.TinyExtractor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README's "Use it from Java" listing is UseFromJava.java, and it runs on a tiny synthetic configuration. */
class UseFromJavaTest {
  static final Path README = Path.of("..", "README.md");
  static final Path SOURCE = Path.of("src", "test", "java", "UseFromJava.java");

  @Test
  void theReadmeListingIsTheCompiledExample() throws Exception {
    String readme = Files.readString(README);
    int section = readme.indexOf("\n## Use it from Java\n");
    assertThat(section).as("README.md has a '## Use it from Java' section").isPositive();
    Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find(section)).as("a java listing in that section").isTrue();
    assertThat(m.group(1)).isEqualTo(Files.readString(SOURCE));
  }

  @Test
  void runsTheMainJobAndAComparison(@TempDir Path dir) throws Exception {
    Path train = dir.resolve("train.yaml");
    Files.writeString(train, """
        schedule: {name: cosine, timesteps: 50}
        parameterization: {name: eps}
        weighter: {name: min-snr, gamma: 5}
        dataset: {name: synthetic, count: 16, size: 16}
        model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: []}
        training: {steps: 4, batchSize: 4, lr: 1.0e-3, warmupSteps: 1, emaDecay: 0.5, logEvery: 2}
        """);
    Path grid = dir.resolve("compare.yaml");
    Files.writeString(grid, """
        dataset: {name: synthetic, count: 16, size: 16}
        schedules: [{name: cosine, timesteps: 50}]
        parameterization: {name: eps}
        weighters: [{name: uniform}, {name: min-snr, gamma: 5}]
        seeds: [0]
        model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: []}
        training: {steps: 4, batchSize: 4, lr: 1.0e-3, warmupSteps: 1, emaDecay: 0.5, logEvery: 2}
        evaluation: {checkpoints: 2, samplingSteps: 2, samples: 12, reference: 16}
        """);
    Path out = dir.resolve("out");
    String printed = captureStdout(() -> UseFromJava.main(new String[] {train.toString(), grid.toString(),
        out.toString(), TinyExtractor.write(dir).toString()}));

    String report = Files.readString(out.resolve("run/report.md"));
    Matcher fid = Pattern.compile("\\*\\*FID ([0-9.]+)\\*\\* \\(64 samples vs 16 test images;"
        + " sampler ddim, trailing spacing, 10 steps: 10 network evaluations per image\\)").matcher(report);
    assertThat(fid.find()).as(report).isTrue();
    assertThat(printed).contains("FID " + fid.group(1) + " (extractor gray-test")
        .contains("in " + out.resolve("run/report.md"));
    assertThat(out.resolve("run/model.onnx")).isNotEmptyFile();
    assertThat(out.resolve("run/samples/samples.npy")).isNotEmptyFile();
    assertThat(out.resolve("run/loss.png")).isNotEmptyFile();

    assertThat(printed).contains("2 of 2 runs complete: " + out.resolve("compare/report.md"));
    assertThat(Files.readString(out.resolve("compare/report.md"))).contains("## Final FID");
    assertThat(Files.readAllLines(out.resolve("compare/fid.csv"))).hasSize(1 + 2 * 2);
  }

  interface Body {
    void run() throws Exception;
  }

  static String captureStdout(Body body) throws Exception {
    PrintStream saved = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setOut(saved);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
