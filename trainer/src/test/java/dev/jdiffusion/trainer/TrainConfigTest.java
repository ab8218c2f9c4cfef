package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
  private static final String PLUGINS =
      "schedule: {name: cosine}\nparameterization: {name: v}\nweighter: {name: smoothed-kl, lambda: 0.2}\n";

  static TrainConfig read(String yaml) {
    return Fixtures.reader().readYaml("run.yaml", yaml, TrainConfig.class);
  }

  @Test
  void defaultsAreFilledIn() {
    TrainConfig c = read(PLUGINS);
    assertThat(c.training().steps()).isEqualTo(10_000);
    assertThat(c.training().batchSize()).isEqualTo(64);
    assertThat(c.training().lr()).isEqualTo(2e-4);
    assertThat(c.training().emaDecay()).isEqualTo(0.9999);
    assertThat(c.model().resolve(new ImageShape(1, 32, 32))).isEqualTo(UNetConfig.unetXs(1, 32));
    assertThat(c.dataset()).isEmpty();
    assertThat(c.training().precision()).isEqualTo("fp32");
  }

  @Test
  void precisionIsFp32OrBf16MixedAndIsStoredInTheResolvedConfig() throws Exception {
    TrainConfig c = read(PLUGINS + "training: {precision: bf16-mixed}\n");
    assertThat(c.training().precision()).isEqualTo("bf16-mixed");
    assertThat(Fixtures.reader().json().writeValueAsString(c)).contains("\"precision\":\"bf16-mixed\"");
    assertThat(c.withSteps(5).training().precision()).isEqualTo("bf16-mixed");
    assertThat(c.training().withSeedAndCheckpoints(3, 10, 1).precision()).isEqualTo("bf16-mixed");
    assertThatThrownBy(() -> read(PLUGINS + "training: {precision: fp16}\n"))
        .hasMessageContaining("run.yaml").hasMessageContaining("training.precision")
        .hasMessageContaining("fp16").hasMessageContaining("fp32 or bf16-mixed")
        .hasMessageNotContaining("\n");
  }

  @Test
  void explicitModelValuesOverrideThePreset() {
    TrainConfig c = read(PLUGINS + "model: {preset: unet-s, resBlocks: 1, attentionResolutions: []}\n"
        + "training: {steps: 100, warmupSteps: 10, gradClip: 0}\n");
    UNetConfig n = c.model().resolve(new ImageShape(1, 32, 32));
    assertThat(n.baseChannels()).isEqualTo(64);
    assertThat(n.resBlocks()).isEqualTo(1);
    assertThat(n.attentionResolutions()).isEmpty();
    assertThat(c.training().gradClip()).isZero();
    assertThat(c.withSteps(5).training().warmupSteps()).isEqualTo(5);
  }

  @Test
  void badValuesNameTheField() {
    assertThatThrownBy(() -> read(PLUGINS + "training: {lr: -1}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("run.yaml").hasMessageContaining("training.lr")
        .hasMessageContaining("-1.0").hasMessageContaining("> 0");
    assertThatThrownBy(() -> read(PLUGINS + "training: {batchSize: 0}\n"))
        .hasMessageContaining("training.batchSize").hasMessageContaining(">= 1");
    assertThatThrownBy(() -> read(PLUGINS + "training: {emaDecay: 1.5}\n"))
        .hasMessageContaining("training.emaDecay").hasMessageContaining("[0, 1)");
    assertThatThrownBy(() -> read(PLUGINS + "training: {device: tpu}\n"))
        .hasMessageContaining("training.device").hasMessageContaining("auto, cpu, gpu or gpu:N");
    assertThatThrownBy(() -> read(PLUGINS + "training: {stepz: 3}\n"))
        .hasMessageContaining("unknown field 'stepz'");
    assertThatThrownBy(() -> read(PLUGINS + "model: {preset: unet-xl}\n"))
        .hasMessageContaining("model.preset").hasMessageContaining("unet-xs");
    assertThatThrownBy(() -> read(PLUGINS + "model: {baseChannels: 32}\n"))
        .hasMessageContaining("model.channelMultipliers");
    assertThatThrownBy(() -> read("parameterization: {name: v}\nweighter: {name: uniform}\n"))
        .hasMessageContaining("schedule");
    assertThatThrownBy(() -> read(PLUGINS.replace("smoothed-kl", "smoothed-kll")))
        .hasMessageContaining("unknown weighter 'smoothed-kll'");
  }

  @Test
  void modelThatDoesNotFitTheImagesIsRejected() {
    TrainConfig c = read(PLUGINS + "model: {preset: unet-s}\n");
    assertThatThrownBy(() -> c.model().resolve(new ImageShape(1, 30, 30)))
        .hasMessageContaining("model.imageSize = 30");
    assertThatThrownBy(() -> c.model().resolve(new ImageShape(1, 32, 28)))
        .hasMessageContaining("square");
  }

  @Test
  void roundTripsThroughJson() throws Exception {
    TrainConfig c = read(PLUGINS + "training: {steps: 7}\n");
    String json = Fixtures.reader().json().writeValueAsString(c);
    assertThat(Fixtures.reader().readYaml("json", json, TrainConfig.class)).isEqualTo(c);
    assertThat(json).contains("\"lambda\":0.2");
  }
}
