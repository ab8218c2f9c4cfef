package dev.jdiffusion.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs {@code onnx.checker.check_model(full_check=True)} from the Python onnx package. */
final class OnnxChecker {
  private OnnxChecker() {}

  static void assertValid(Path model) throws IOException, InterruptedException {
    // Debian's interpreter: python3-onnx installs there, not into a pyenv or venv python3 on PATH.
    String python = java.nio.file.Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    Process p = new ProcessBuilder(python, "-c",
        "import sys, onnx; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True);"
            + " print('ok', m.opset_import[0].version)", model.toString())
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("onnx.checker on %s said:%n%s", model, out).isZero();
    assertThat(out).contains("ok " + OnnxGraphBuilder.OPSET);
  }
}
