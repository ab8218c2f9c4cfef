package dev.jdiffusion.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jdiffusion.exporter.onnx.OnnxCheckerAccess;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.plugins.dataset.SyntheticDataset;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.trainer.classifier.ClassifierTraining;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FID classifier learns (disks, squares and triangles of the synthetic set: chance is 1/3) and its
 * ONNX export gives the same features and logits as DJL, within 1e-4.
 */
class ClassifierExporterTest {
  @Test
  void trainsExportsAndMatches(@TempDir Path dir) throws Exception {
    SyntheticDataset plugin = new SyntheticDataset();
    try (NDManager m = NDManager.newBaseManager();
        DatasetSource train = plugin.open(config(600, "train"));
        DatasetSource test = plugin.open(config(300, "test"))) {
      ClassifierTraining.Result r = ClassifierTraining.train(m, train, test, 3, 3, 32, 2e-3f, 1, k -> { });
      assertThat(r.testAccuracy()).as("test accuracy").isGreaterThan(0.6);

      Path file = dir.resolve("extractor.onnx");
      var meta = ClassifierExporter.metadata(r.network(), "synthetic-cnn", "synthetic", r.testAccuracy());
      OnnxGraphBuilder.write(ClassifierExporter.export(r.network(), meta, "test"), file);
      OnnxCheckerAccess.assertValid(file);

      int n = 7;
      float[] x = new float[n * train.shape().size()];
      for (int i = 0; i < n; i++) {
        train.read(i, x, i * train.shape().size());
      }
      NDList expected = r.network().forward(new ParameterStore(m, false),
          new NDList(m.create(x, new Shape(n, 1, 16, 16))), false);
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession s = env.createSession(file.toString(), new OrtSession.SessionOptions());
          OnnxTensor xs = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, 1, 16, 16});
          OrtSession.Result res = s.run(java.util.Map.of("x", xs))) {
        assertThat(s.getMetadata().getCustomMetadata())
            .containsEntry("jdiffusion.extractor.output", "features")
            .containsEntry("jdiffusion.extractor.feature_dim", "128");
        for (int o = 0; o < 2; o++) {
          float[] want = expected.get(o).toFloatArray();
          float[][] got = (float[][]) res.get(o).getValue();
          for (int i = 0; i < n; i++) {
            for (int j = 0; j < got[i].length; j++) {
              assertThat((double) got[i][j]).isCloseTo(want[i * got[i].length + j],
                  org.assertj.core.api.Assertions.within(1e-4));
            }
          }
        }
      }
    }
  }

  static SyntheticDataset.Config config(int count, String split) {
    return new SyntheticDataset.Config(count, 16, 1, split, 0, false, 7);
  }
}
