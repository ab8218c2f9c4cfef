package dev.jdiffusion.sampling.fid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FidInputsTest {

  @Test
  void classifiesInputsAndNamesWhatItCannotUse(@TempDir Path dir) throws Exception {
    Npy.write(dir.resolve("f.npy"), NpyArray.float32(new float[12], 4, 3));
    Npy.write(dir.resolve("i.npy"), NpyArray.float32(new float[16], 1, 1, 4, 4));
    Npy.write(dir.resolve("r3.npy"), NpyArray.float32(new float[8], 2, 2, 2));
    FeatureStatistics.of(5, new double[2], new double[] {1, 0, 0, 1}).save(dir.resolve("s.npz"));
    Files.writeString(dir.resolve("x.csv"), "1,2");
    assertThat(FidInputs.kind(dir.resolve("f.npy"))).isEqualTo(FidInputs.Kind.FEATURES);
    assertThat(FidInputs.kind(dir.resolve("i.npy"))).isEqualTo(FidInputs.Kind.IMAGE_ARRAY);
    assertThat(FidInputs.kind(dir.resolve("s.npz"))).isEqualTo(FidInputs.Kind.STATISTICS);
    assertThat(FidInputs.kind(dir)).isEqualTo(FidInputs.Kind.IMAGE_FOLDER);
    assertThatThrownBy(() -> FidInputs.kind(dir.resolve("r3.npy"))).hasMessage(dir.resolve("r3.npy")
        + ": expected feature vectors [N, D] or images [N, C, H, W], found shape [2, 2, 2]");
    assertThatThrownBy(() -> FidInputs.kind(dir.resolve("x.csv"))).hasMessageStartingWith(dir.resolve("x.csv")
        + ": expected an .npz of statistics, an .npy of features or images, or a folder of images");
    assertThatThrownBy(() -> FidInputs.kind(dir.resolve("gone.npy"))).hasMessage(dir.resolve("gone.npy")
        + ": no such file or folder");
    assertThatThrownBy(() -> FidInputs.load(dir.resolve("i.npy"), null, false, null))
        .hasMessageContaining("images (.npy) need a feature extractor");
  }

  /** Streamed from the file in blocks, the statistics are numpy's mean and cov of the rows (reference.py). */
  @Test
  void streamsFeatureFilesIntoNumpysStatistics(@TempDir Path dir) throws Exception {
    FeatureMatrix m = FrechetDistanceTest.correlated(8, 700, 5, 1);
    m.save(dir.resolve("m.npy"), Npy.FLOAT64);
    long[] last = {0, 0};
    FidInputs.Loaded l = FidInputs.load(dir.resolve("m.npy"), null, true, (done, total) -> {
      last[0] = done;
      last[1] = total;
    });
    assertThat(last).containsExactly(700, 700);
    assertThat(l.features()).contains(m);
    JsonNode numpy = Reference.run("stats", dir.resolve("m.npy").toString());
    assertThat(l.statistics().count()).hasValue(700);
    assertThat(l.statistics().mu()).containsExactly(Reference.doubles(numpy.get("mu")), within(1e-12));
    assertThat(l.statistics().sigma()).containsExactly(Reference.doubles(numpy.get("sigma")), within(1e-12));
    assertThat(l.origin()).isEqualTo("features as given in m.npy (extractor unknown to jdiffusion)");
  }
}
