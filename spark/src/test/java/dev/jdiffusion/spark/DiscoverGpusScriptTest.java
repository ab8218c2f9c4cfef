package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spark/scripts/discover-gpus.sh}, Spark's GPU discovery script, against a stand-in {@code nvidia-smi}
 * (no GPU here). {@link StandaloneClusterTest} has Spark schedule tasks on the GPUs it reports.
 */
class DiscoverGpusScriptTest {
  static final Path SCRIPT = Path.of("scripts", "discover-gpus.sh").toAbsolutePath();

  /** A stand-in {@code nvidia-smi} that prints the given indices, and a PATH holding it. */
  static Path fakeNvidiaSmi(Path dir, String output) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path smi = bin.resolve("nvidia-smi");
    Files.writeString(smi, "#!/bin/sh\nprintf '" + output + "'\n");
    Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  static Process run(Path path) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString());
    pb.environment().put("PATH", path + ":/usr/bin:/bin");
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p;
  }

  @Test
  void theDiscoveryScriptListsDeviceIndicesAsSparkReadsThem(@TempDir Path dir) throws Exception {
    Process p = run(fakeNvidiaSmi(dir, "0\\n1\\n3\\n"));
    assertThat(p.exitValue()).isZero();
    JsonNode json = new ObjectMapper().readTree(p.getInputStream());
    assertThat(json.path("name").asText()).isEqualTo("gpu");
    assertThat(json.path("addresses")).extracting(JsonNode::asText).containsExactly("0", "1", "3");
  }

  @Test
  void theDiscoveryScriptFailsClearlyWithoutADriver(@TempDir Path dir) throws Exception {
    Process p = run(Files.createDirectories(dir.resolve("empty")));
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("discover-gpus.sh: nvidia-smi not found: this machine has no NVIDIA driver, so no GPU to offer\n");
  }
}
