package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class WeightsCommandTest {

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void writesOneColumnPerWeighterAsWrittenAndThePlot(@TempDir Path dir) throws Exception {
    Run r = run("weights", "--schedule", "cosine", "--parameterization", "v", "--weighter", "min-snr",
        "--weighter", "smoothed-kl:lambda=0.2", "--weighter", "p2:k=1,gamma=0.5", "--out", dir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(dir.resolve("weights.csv"));
    assertThat(lines.get(0)).isEqualTo("t,alphabar,snr,logsnr,min-snr,smoothed-kl:lambda=0.2,\"p2:k=1,gamma=0.5\"");
    assertThat(lines).hasSize(1001);
    String[] row = lines.get(500).split(",");
    double alphabar = Double.parseDouble(row[1]);
    double snr = alphabar / (1 - alphabar);
    // v-prediction loss space: min(SNR, 5) / (SNR + 1)
    assertThat(Double.parseDouble(row[4])).isCloseTo(Math.min(snr, 5) / (snr + 1), org.assertj.core.api.Assertions.within(1e-12));
    assertThat(Files.size(dir.resolve("weights.png"))).isGreaterThan(1000);
    assertThat(r.out())
        .contains("smoothed-kl lambda=0.2  ~ min-snr gamma=5 (leading order, high SNR)  = soft-min-snr gamma=6 x 0.833333 (exact)")
        .contains("min-snr gamma=5  ~ smoothed-kl lambda=0.2");
  }

  @Test
  void unknownWeighterIsAOneLineErrorListingTheIds(@TempDir Path dir) {
    Run r = run("weights", "--weighter", "min-snrr", "--out", dir.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: --weighter min-snrr: name: unknown weighter 'min-snrr'; available weighters:")
        .contains("  min-snr - ");
  }

  @Test
  void readsAConfigFile(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("run.yaml");
    Files.writeString(config, "schedule: {name: linear}\nparameterization: {name: eps}\nweighter: {name: smoothed-kl, lambda: 0.5}\n");
    Run r = run("weights", "--config", config.toString(), "--weighter", "uniform", "--out", dir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(Files.readAllLines(dir.resolve("weights.csv")).get(0))
        .isEqualTo("t,alphabar,snr,logsnr,smoothed-kl:lambda=0.5,uniform");
  }

  @Test
  void pluginsListsEveryKindWithParametersAndSource() {
    Run r = run("plugins");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("schedules (").contains("weighters (").contains("parameterizations (")
        .contains("datasets (")
        .containsPattern("min-snr +min\\(SNR, gamma\\) on the x0-MSE")
        .containsPattern("gamma +double +default 5 ")
        .containsPattern("lambda +double +required ")
        .contains("source: ");
  }
}
