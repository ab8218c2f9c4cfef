package dev.jdiffusion.cli;

import static dev.jdiffusion.cli.WeightsCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.cli.WeightsCommandTest.Run;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {

  @Test
  void printsSizeShapeAndStatisticsAndWritesAGrid(@TempDir Path dir) throws Exception {
    Run r = run("data", "--dataset", "synthetic:count=20,size=16,padding=2", "--samples", "9",
        "--benchmark", "1", "--batch-size", "4", "--out", dir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("size    20 images")
        .contains("shape   1x20x20")
        .contains("labels  3 classes")
        .containsPattern("pixels  min -1\\.0000  max [01]\\.\\d{4}  mean -0\\.\\d{4}  std 0\\.\\d{4}")
        .contains("pipeline 1 epochs x 5 batches of 4 1x20x20");
    BufferedImage grid = ImageIO.read(dir.resolve("samples.png").toFile());
    // 3 x 3 tiles of 20 px enlarged 3x, 2 px gaps
    assertThat(grid.getWidth()).isEqualTo(3 * (60 + 2) + 2);
    assertThat(grid.getHeight()).isEqualTo(3 * (60 + 2) + 2);
  }

  @Test
  void readsTheDatasetOfARunConfig(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("run.yaml");
    Files.writeString(config, "schedule: {name: cosine}\nparameterization: {name: eps}\nweighter: {name: uniform}\n"
        + "dataset: {name: synthetic, count: 7, channels: 3}\n");
    Run r = run("data", "--config", config.toString(), "--out", dir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("size    7 images").contains("shape   3x32x32");
  }

  @Test
  void aMissingDirectoryIsOneLineNamingIt(@TempDir Path dir) {
    Path missing = dir.resolve("nope");
    Run r = run("data", "--dataset", "fashion-mnist", "--dir", missing.toString(), "--out", dir.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("error: dataset 'fashion-mnist': " + missing
        + ": expected a directory holding train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz], "
        + "found no such directory");
  }

  @Test
  void anUnknownOptionNamesTheKnownOnes(@TempDir Path dir) {
    Run r = run("data", "--dataset", "synthetic:colour=3", "--out", dir.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown field 'colour'").contains("channels");
  }
}
