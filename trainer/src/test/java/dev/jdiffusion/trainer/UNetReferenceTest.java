package dev.jdiffusion.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.unet.UNet;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DJL UNet against an independent implementation: {@code ddpm_unet_reference.py}, a PyTorch UNet written
 * from the DDPM paper's description and DESIGN.md (not from this code), run in float64 by Debian's
 * python3-torch (CI installs it). The same weights (every parameter, with random GroupNorm gains and random
 * biases so that no term hides behind a zero) and the same inputs go to both; they must give
 * <ul>
 *   <li>the same forward output, to 1e-5 of the output's largest magnitude;
 *   <li>for one step of the weighted objective (fixed x0, t and noise; the schedule's alphabar and the loss
 *       weights of the batch's timesteps passed in), the same loss to 1e-4 relative and the same gradient of
 *       every parameter tensor to 1e-4 of that tensor's largest reference gradient.
 * </ul>
 * Gradients that are exactly zero in exact arithmetic are rounding noise in both: those of a per-channel
 * shift (a convolution's bias, a block's timestep projection) ahead of a GroupNorm with one channel per
 * group, which removes it, and of the attention key's bias, to which the softmax over the keys is
 * invariant. They are held to 1e-4 of the largest gradient of the whole network instead.
 *
 * <p>This test found that libtorch 2.7.1's oneDNN computed a wrong input gradient for the 1- or 3-filter
 * output convolution at batch sizes of 2 and more, so that every gradient below it was wrong (forward and
 * loss were right); every convolution now runs through {@link dev.jdiffusion.trainer.unet.FusedOps#conv2d},
 * which avoids those kernels.
 */
class UNetReferenceTest {

  static Stream<Arguments> networks() {
    return Stream.of(
        // unet-xs: base 32, (1, 2), 1 residual block, attention at 16x16 (and in the middle)
        Arguments.of("unet-xs", UNetConfig.unetXs(1, 32), "cosine", "eps", "min-snr"),
        // 3 channels, three levels, 2 residual blocks, attention at 8x8, v-prediction
        Arguments.of("rgb", new UNetConfig(3, 16, 32, List.of(1, 2, 2), 2, List.of(8), 0), "linear", "v",
            "smoothed-kl:lambda=0.2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void matchesTheIndependentPyTorchImplementation(String name, UNetConfig cfg, String schedule,
      String parameterization, String weighter, @TempDir Path dir) throws Exception {
    int batch = 2;
    int c = cfg.imageChannels();
    int s = cfg.imageSize();
    Shape image = new Shape(batch, c, s, s);
    Engines.pytorch().setRandomSeed(7);
    Random random = new Random(name.hashCode());
    WeightedDenoisingLoss objective = Fixtures.objective(schedule, parameterization, weighter);
    NoiseSchedule table = Fixtures.plugins().schedule(Fixtures.schedule(schedule));

    try (NDManager manager = NDManager.newBaseManager()) {
      UNet net = new UNet(cfg);
      net.initialize(manager, DataType.FLOAT32, image, new Shape(batch));
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (Pair<String, Parameter> p : net.getParameters()) {
        NDArray a = p.getValue().getArray();
        String n = p.getKey();
        if (n.endsWith("_gamma") || n.endsWith("_beta") || n.endsWith("_bias")) {
          float[] v = new float[(int) a.size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((n.endsWith("_gamma") ? 1 : 0) + 0.2 * random.nextGaussian());
          }
          a.set(FloatBuffer.wrap(v));
        }
        a.setRequiresGradient(true);
        params.put(n, a);
      }

      float[] fwdXt = gaussian(random, (int) image.size());
      long[] fwdT = {5, 999};
      float[] x0 = new float[(int) image.size()];
      for (int i = 0; i < x0.length; i++) {
        x0[i] = (float) (2 * random.nextDouble() - 1);
      }
      float[] eps = gaussian(random, x0.length);
      int[] t = {37, 612};
      double[] alphabar = {table.alphabar(t[0]), table.alphabar(t[1])};
      double[] weight = {objective.weight(t[0]), objective.weight(t[1])};

      // Java: the forward pass, and one step of the objective with gradients
      float[] out;
      double loss;
      Map<String, float[]> grads = new LinkedHashMap<>();
      ParameterStore ps = new ParameterStore(manager, false);
      try (NDManager step = manager.newSubManager()) {
        NDArray y = net.forward(ps, new NDList(step.create(fwdXt, image), step.create(new float[] {5, 999})), false)
            .singletonOrThrow();
        out = y.toFloatArray();
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray l = objective.compute(net, ps, step.create(x0, image), t, step.create(eps, image), true).loss();
          loss = l.getFloat();
          gc.backward(l);
        }
        for (Map.Entry<String, NDArray> p : params.entrySet()) {
          try (NDArray g = p.getValue().getGradient()) {
            grads.put(p.getKey(), g.toFloatArray());
          }
        }
      }

      // the reference, given the same weights and inputs
      Path in = dir.resolve("in.npz");
      try (NDManager io = manager.newSubManager()) {
        NDList list = new NDList();
        list.add(named(io.create(new int[] {c, s, cfg.baseChannels(), cfg.resBlocks()}), "config"));
        list.add(named(io.create(ints(cfg.channelMultipliers())), "multipliers"));
        list.add(named(io.create(ints(cfg.attentionResolutions())), "attention_resolutions"));
        for (Map.Entry<String, NDArray> p : params.entrySet()) {
          list.add(named(p.getValue().duplicate(), "param/" + p.getKey()));
        }
        list.add(named(io.create(fwdXt, image), "fwd_xt"));
        list.add(named(io.create(fwdT), "fwd_t"));
        list.add(named(io.create(x0, image), "train_x0"));
        list.add(named(io.create(eps, image), "train_eps"));
        list.add(named(io.create(new long[] {t[0], t[1]}), "train_t"));
        list.add(named(io.create(alphabar), "train_alphabar"));
        list.add(named(io.create(weight), "train_weight"));
        try (OutputStream os = Files.newOutputStream(in)) {
          list.encode(os, NDList.Encoding.NPZ);
        }
      }
      Path outFile = dir.resolve("out.npz");
      runReference(in, outFile, parameterization);
      try (NDManager io = manager.newSubManager(); InputStream is = Files.newInputStream(outFile)) {
        Map<String, NDArray> ref = new LinkedHashMap<>();
        for (NDArray a : NDList.decode(io, is)) {
          ref.put(a.getName(), a);
        }
        double[] refOut = ref.get("fwd_out").toType(DataType.FLOAT64, false).toDoubleArray();
        double scale = maxAbs(refOut);
        double err = maxAbsDiff(out, refOut);
        assertThat(err).as("%s forward: max |DJL - reference| against 1e-5 x max |reference| = %s", name,
            1e-5 * scale).isLessThanOrEqualTo(1e-5 * scale);

        double refLoss = ref.get("train_loss").toType(DataType.FLOAT64, false).toDoubleArray()[0];
        assertThat(Math.abs(loss - refLoss)).as("%s loss %s against the reference's %s", name, loss, refLoss)
            .isLessThanOrEqualTo(1e-4 * Math.abs(refLoss));

        Map<String, double[]> refGrads = new LinkedHashMap<>();
        double largest = 0;
        for (String p : params.keySet()) {
          NDArray g = ref.get("grad/" + p);
          assertThat(g).as("reference gradient of %s", p).isNotNull();
          double[] v = g.toType(DataType.FLOAT64, false).toDoubleArray();
          refGrads.put(p, v);
          largest = Math.max(largest, maxAbs(v));
        }
        List<String> zeroInExactArithmetic = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        for (String p : params.keySet()) {
          double[] r = refGrads.get(p);
          double tensorScale = maxAbs(r);
          double bound = 1e-4 * tensorScale;
          if (tensorScale < 1e-6 * largest) {
            zeroInExactArithmetic.add(p);
            bound = 1e-4 * largest;
          }
          double diff = maxAbsDiff(grads.get(p), r);
          if (!(diff <= bound)) {
            mismatches.add(String.format("%s: max |DJL - reference| = %.3g, largest reference value %.3g", p, diff,
                tensorScale));
          }
        }
        assertThat(mismatches).as("%s: parameters whose gradients differ by more than 1e-4 of their largest", name)
            .isEmpty();
        // only per-channel shifts may vanish: biases and timestep projections (see the class comment)
        assertThat(zeroInExactArithmetic).allMatch(p -> p.contains("temb_proj") || p.endsWith("_bias"));
      }
    }
  }

  private static void runReference(Path in, Path out, String parameterization) throws Exception {
    Path script = Path.of(UNetReferenceTest.class.getResource("unet/ddpm_unet_reference.py").toURI());
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    ProcessBuilder pb = new ProcessBuilder(python, script.toString(), in.toString(), out.toString(), parameterization)
        .redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("ddpm_unet_reference.py finished").isTrue();
    assertThat(p.exitValue()).as("ddpm_unet_reference.py (needs python3-torch) failed:%n%s", log).isZero();
  }

  private static NDArray named(NDArray a, String name) {
    a.setName(name);
    return a;
  }

  private static int[] ints(List<Integer> values) {
    return values.stream().mapToInt(Integer::intValue).toArray();
  }

  private static float[] gaussian(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static double maxAbs(double[] v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }

  private static double maxAbsDiff(float[] a, double[] b) {
    assertThat(a).hasSameSizeAs(b);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
