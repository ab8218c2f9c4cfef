package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command that writes files checks, before its long work, that it can: an output under a regular file
 * (which no user, root included, can create) fails at once with one line naming the option and the path,
 * exit status 2, and nothing trained, sampled or scored. (The model and checkpoint arguments below do not
 * even exist: the output is checked first.)
 */
class WritableOutputsTest {

  @Test
  void unwritableOutputsFailBeforeAnyWork(@TempDir Path dir) throws Exception {
    Path blocker = Files.writeString(dir.resolve("a-file"), "x");
    Path config = Files.writeString(dir.resolve("run.yaml"), """
        schedule: {name: cosine}
        parameterization: {name: eps}
        weighter: {name: uniform}
        dataset: {name: synthetic, count: 64}
        model: {baseChannels: 8, channelMultipliers: [1], resBlocks: 1, attentionResolutions: []}
        training: {steps: 100000, batchSize: 4}
        """);
    String bad = blocker.resolve("sub").toString();
    List<List<String>> commands = List.of(
        List.of("sample", dir.resolve("missing.onnx").toString(), "--out", bad),
        List.of("export", dir.resolve("missing.ckpt").toString(), "--out", bad + "/model.onnx"),
        List.of("extractor", "--dataset", "synthetic", "--out", bad + "/x.onnx"),
        List.of("weights", "--weighter", "uniform", "--out", bad),
        List.of("data", "--dataset", "synthetic", "--out", bad),
        List.of("train", config.toString(), "--out", bad),
        List.of("run", config.toString(), "--out", bad),
        List.of("compare", "--quick", "--out", bad),
        List.of("stats", "synthetic", "--out", bad + "/s.npz"),
        List.of("fid", "a.npy", "b.npy", "--save-stats-a", bad + "/a.npz"),
        List.of("bench", "train", "--profile", bad + "/trace.json"));
    List<String> option = List.of("--out", "--out", "--out", "--out", "--out", "--out", "--out", "--out", "--out",
        "--save-stats-a", "--profile");
    for (int i = 0; i < commands.size(); i++) {
      List<String> args = new ArrayList<>(commands.get(i));
      var r = WeightsCommandTest.run(args.toArray(String[]::new));
      assertThat(r.exit()).as("%s: %s", args, r.err()).isEqualTo(2);
      assertThat(r.err()).as("%s", args).startsWith("error: " + option.get(i) + " " + blocker.resolve("sub"))
          .contains("cannot write").contains("Not a directory").doesNotContain("Exception").doesNotContain("\tat ");
      assertThat(r.err().lines().count()).as("%s: one line", args).isEqualTo(1);
    }
    assertThat(Files.readString(blocker)).isEqualTo("x");
  }
}
