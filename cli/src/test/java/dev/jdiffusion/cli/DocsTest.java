package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdiffusion.pipeline.compare.CompareConfig;
import dev.jdiffusion.core.Bootstrap;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.RunConfig;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.trainer.TrainConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every fenced block of README.md and docs/*.md is run, compiled or parsed, so the documentation cannot drift
 * from the code. What happens to a block depends on its language and on an optional marker comment on the
 * line before it, {@code <!-- docs-test: ... -->}:
 *
 * <ul>
 *   <li>{@code bash}, {@code sh}: run with bash ({@code set -euo pipefail}) in a scratch directory that holds
 *       a {@code ./diffusion} (the command line of this build, see {@link DocsLauncher}) and links to the
 *       repository's {@code docs/}, {@code benchmarks/} and {@code examples/}; a document's blocks run in
 *       order in one directory, so later commands use what earlier ones wrote. Marker
 *       {@code args CMD=ARGS; ...}: commands that take minutes run with these reduced arguments (e.g.
 *       {@code args run=--steps 2}), written in the document next to the command. Several markers go on
 *       consecutive lines. Lines that start with {@code ./mvnw} are the build itself; each must be a command of {@code .ci/run}. Marker
 *       {@code ci SCRIPT}: the block is executed by that CI script (which needs the framework installed in
 *       the local Maven repository, something a test must not do); the test checks that the script runs the
 *       document. Marker {@code tested-by CLASS}: another test of this module runs the block in a form that
 *       needs no training (SamplingDocsTest samples from an exact Gaussian model); it must read the
 *       document.</li>
 *   <li>{@code java}: compiled as written, all listings of one document together. Marker {@code fragment
 *       FILE}: the listing is part of FILE (under this test's resources, {@code docs/}), which must contain it
 *       verbatim and is compiled instead.</li>
 *   <li>{@code yaml}: read as the configuration it is ({@code weighters} present: a comparison;
 *       {@code training} or {@code model}: a training configuration; only {@code dataset}: a dataset;
 *       otherwise schedule/parameterization/weighter as {@code weights --config} reads it), with the
 *       framework's reader, which checks names and values. Marker {@code file NAME}: also written to NAME in
 *       the scratch directory before the document's commands run; {@code file NAME reduced RESOURCE} writes
 *       the test resource {@code docs/RESOURCE} (the same configuration, smaller) there instead.</li>
 *   <li>{@code xml}: parsed (well-formed). {@code text}: output shown to the reader, not run.</li>
 * </ul>
 *
 * Running the commands takes minutes, so that part is tagged {@code docs}: {@code ./mvnw verify} leaves it
 * out and CI ({@code .ci/run}) runs it; the rest runs with every build.
 */
class DocsTest {
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Pattern FENCE = Pattern.compile("^(\\s*)```(\\S*)\\s*$");
  private static final Pattern MARKER = Pattern.compile("^\\s*<!-- docs-test: (.*) -->\\s*$");
  private static final List<String> LANGUAGES = List.of("bash", "sh", "java", "yaml", "xml", "text");

  /** One fenced block. */
  record Block(Path doc, int line, String language, String text, List<String> markers) {
    String where() {
      return ROOT.relativize(doc) + ":" + line;
    }

    boolean marked(String directive) {
      return markers.stream().anyMatch(m -> m.equals(directive) || m.startsWith(directive + " "));
    }

    String argument(String directive) {
      return markers.stream().filter(m -> m.equals(directive) || m.startsWith(directive + " ")).findFirst()
          .orElseThrow().substring(directive.length()).trim();
    }
  }

  static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>();
    docs.add(ROOT.resolve("README.md"));
    try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  static List<Block> blocks(Path doc) throws IOException {
    List<String> lines = Files.readAllLines(doc);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher open = FENCE.matcher(lines.get(i));
      if (!open.matches()) {
        continue;
      }
      String indent = open.group(1);
      int start = i;
      StringBuilder text = new StringBuilder();
      for (i++; i < lines.size() && !lines.get(i).trim().equals("```"); i++) {
        String l = lines.get(i);
        text.append(l.startsWith(indent) ? l.substring(indent.length()) : l.stripLeading()).append('\n');
      }
      if (i == lines.size()) {
        fail(ROOT.relativize(doc) + ":" + (start + 1) + ": unclosed fence");
      }
      List<String> markers = new ArrayList<>();
      for (int k = start - 1; k >= 0; k--) {
        Matcher m = MARKER.matcher(lines.get(k));
        if (!m.matches()) {
          break;
        }
        markers.add(0, m.group(1).trim());
      }
      blocks.add(new Block(doc, start + 1, open.group(2), text.toString(), List.copyOf(markers)));
    }
    return blocks;
  }

  /** Every block says what it is, so that none is silently left out. */
  @Test
  void everyBlockHasALanguageThisTestHandles() throws IOException {
    int count = 0;
    for (Path doc : documents()) {
      for (Block b : blocks(doc)) {
        assertThat(b.language()).as("%s: a fence needs a language (%s)", b.where(), LANGUAGES).isIn(LANGUAGES);
        count++;
      }
    }
    assertThat(count).isGreaterThan(30);
  }

  /** Listings compile, configurations read, XML parses, CI runs what it is said to run: fast, always run. */
  @TestFactory
  Stream<DynamicTest> everyListingCompilesAndEveryConfigurationReads(@TempDir Path scratch) throws IOException {
    return perDocument(scratch, (doc, work) -> check(doc, work, false));
  }

  /**
   * Every command of every page, run (minutes: tagged {@code docs}, which {@code ./mvnw verify} leaves out and
   * {@code .ci/run} runs; locally: {@code ./mvnw -pl cli -am test -Dtest=DocsTest -Dsurefire.excludedGroups=gpu},
   * one page with {@code -Ddocs.only=fid.md}).
   */
  @Tag("docs")
  @TestFactory
  Stream<DynamicTest> everyDocumentRuns(@TempDir Path scratch) throws IOException {
    return perDocument(scratch, (doc, work) -> check(doc, work, true));
  }

  interface PageCheck {
    void check(Path doc, Path work) throws Exception;
  }

  private static Stream<DynamicTest> perDocument(Path scratch, PageCheck check) throws IOException {
    String only = System.getProperty("docs.only", "");
    return documents().stream().filter(d -> d.getFileName().toString().contains(only))
        .map(doc -> DynamicTest.dynamicTest(ROOT.relativize(doc).toString(),
            () -> check.check(doc, Files.createDirectories(scratch.resolve(doc.getFileName().toString())))));
  }

  private static void check(Path doc, Path work, boolean runCommands) throws Exception {
    List<Block> blocks = blocks(doc);
    setUp(work);
    List<Block> java = blocks.stream().filter(b -> b.language().equals("java")).toList();
    Path mainClasses = compileJava(java.stream().filter(b -> !isTestListing(b)).toList(), work, "main", null);
    compileJava(java.stream().filter(DocsTest::isTestListing).toList(), work, "test", mainClasses);
    Path plugins = pluginJar(blocks, mainClasses, work);
    ConfigReader reader = plugins == null ? new Main().injector().getInstance(ConfigReader.class)
        : Bootstrap.createInjector(DocsTest.class.getClassLoader(), plugins).getInstance(ConfigReader.class);
    for (Block b : blocks) {
      switch (b.language()) {
        case "yaml" -> yaml(reader, b, work);
        case "xml" -> DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(new java.io.ByteArrayInputStream(b.text().getBytes(StandardCharsets.UTF_8)));
        default -> { }
      }
    }
    for (Block b : blocks) {
      if (b.language().equals("bash") || b.language().equals("sh")) {
        if (b.marked("ci")) {
          runByCi(b);
        } else if (b.marked("tested-by")) {
          testedBy(b);
        } else {
          String commands = withoutBuildCommands(b);
          if (runCommands) {
            run(b, commands, work);
          }
        }
      }
    }
  }

  private static void setUp(Path work) throws IOException {
    for (String dir : List.of("docs", "benchmarks", "examples")) {
      Files.createSymbolicLink(work.resolve(dir), ROOT.resolve(dir));
    }
    Path launcher = work.resolve("diffusion");
    Files.writeString(launcher, "#!/usr/bin/env bash\n"
        + "exec java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=${JDIFFUSION_THREADS:-2}"
        + " -Dai.djl.pytorch.num_interop_threads=1 -cp \"$DOCS_CP\" dev.jdiffusion.cli.DocsLauncher \"$@\"\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static void yaml(ConfigReader reader, Block b, Path work) throws IOException {
    String source = b.where();
    JsonNode node = reader.yaml().readTree(b.text());
    assertThat(node).as("%s: a YAML map", source).isNotNull();
    assertThat(node.isObject()).as("%s: a YAML map", source).isTrue();
    if (node.has("weighters")) {
      reader.readYaml(source, b.text(), CompareConfig.class);
    } else if (node.has("training") || node.has("model")) {
      reader.readYaml(source, b.text(), TrainConfig.class);
    } else if (node.size() == 1 && node.has("dataset")) {
      reader.convert(source + ": dataset", node.get("dataset"), DatasetConfig.class);
    } else {
      reader.readYaml(source, b.text(), RunConfig.class);
    }
    if (b.marked("file")) {
      String[] a = b.argument("file").split("\\s+");
      String text = b.text();
      if (a.length == 3 && a[1].equals("reduced")) {
        text = resource("docs/" + a[2]);
        Class<?> type = node.has("weighters") ? CompareConfig.class
            : node.has("training") || node.has("model") ? TrainConfig.class : RunConfig.class;
        reader.readYaml(source + " (reduced: " + a[2] + ")", text, type);
      } else {
        assertThat(a).as("%s: file NAME [reduced RESOURCE]", source).hasSize(1);
      }
      Files.writeString(work.resolve(a[0]), text);
    }
  }

  private static String resource(String name) throws IOException {
    try (var in = DocsTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static final Pattern CLASS = Pattern.compile("(?m)^(?:public |final |abstract )*(?:class|record|interface) (\\w+)");
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");

  private static boolean isTestListing(Block b) {
    return b.marked("file") && b.argument("file").contains("src/test/");
  }

  private static final Pattern SERVICES = Pattern.compile(
      "(?m)^echo (\\S+) > src/main/resources/(META-INF/services/\\S+)$");

  /**
   * A tutorial that compiles a plugin (its listings) and registers it with a services line: the plugin as a
   * jar in a plugin directory, so that its configurations can be read as the framework reads them.
   */
  private static Path pluginJar(List<Block> blocks, Path classes, Path work) throws IOException {
    for (Block b : blocks) {
      Matcher m = SERVICES.matcher(b.text());
      if (classes != null && (b.language().equals("bash") || b.language().equals("sh")) && m.find()) {
        Path dir = Files.createDirectories(work.resolve("plugin-dir"));
        try (var jar = new java.util.jar.JarOutputStream(Files.newOutputStream(dir.resolve("tutorial.jar")));
            Stream<Path> files = Files.walk(classes)) {
          for (Path f : files.filter(Files::isRegularFile).toList()) {
            jar.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString().replace('\\', '/')));
            jar.write(Files.readAllBytes(f));
            jar.closeEntry();
          }
          jar.putNextEntry(new java.util.jar.JarEntry(m.group(2)));
          jar.write((m.group(1) + "\n").getBytes(StandardCharsets.UTF_8));
          jar.closeEntry();
        }
        return dir;
      }
    }
    return null;
  }

  private static Path compileJava(List<Block> listings, Path work, String name, Path extraClassPath)
      throws IOException {
    if (listings.isEmpty()) {
      return null;
    }
    Path src = Files.createDirectories(work.resolve("java-src-" + name));
    List<String> files = new ArrayList<>();
    for (Block b : listings) {
      String text = b.text();
      if (b.marked("fragment")) {
        String complete = resource("docs/" + b.argument("fragment"));
        assertThat(unindented(complete)).as("%s: the complete form docs/%s contains the fragment as written",
            b.where(), b.argument("fragment")).contains(unindented(text).strip());
        text = complete;
      }
      Matcher c = CLASS.matcher(text);
      assertThat(c.find()).as("%s: a class", b.where()).isTrue();
      Matcher p = PACKAGE.matcher(text);
      Path dir = p.find() ? src.resolve(p.group(1).replace('.', '/')) : src;
      Path file = Files.createDirectories(dir).resolve(c.group(1) + ".java");
      assertThat(file).as("%s: two listings define %s", b.where(), file).doesNotExist();
      Files.writeString(file, text);
      files.add(file.toString());
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    java.io.ByteArrayOutputStream diagnostics = new java.io.ByteArrayOutputStream();
    Path classes = Files.createDirectories(work.resolve("java-classes-" + name));
    String cp = System.getProperty("java.class.path")
        + (extraClassPath == null ? "" : java.io.File.pathSeparator + extraClassPath);
    List<String> options = new ArrayList<>(List.of("-classpath", cp, "-d", classes.toString(), "-proc:none",
        "-Xlint:none"));
    options.addAll(files);
    int rc = javac.run(null, new java.io.ByteArrayOutputStream(), diagnostics, options.toArray(String[]::new));
    assertThat(rc).as("javac on the listings of %s (%s):%n%s", listings.get(0).doc().getFileName(),
        listings.stream().map(Block::where).toList(), diagnostics.toString(StandardCharsets.UTF_8)).isZero();
    return classes;
  }

  /** The text with every line's indentation removed (a fragment sits deeper in its complete form). */
  private static String unindented(String text) {
    return text.lines().map(String::strip).reduce("", (a, l) -> a + l + "\n");
  }

  /** Lines that start with ./mvnw are the build: each must be one that .ci/run runs. */
  private static String withoutBuildCommands(Block b) throws IOException {
    List<String> ci = Files.readAllLines(ROOT.resolve(".ci/run"));
    StringBuilder kept = new StringBuilder();
    for (String line : b.text().split("\n")) {
      String cmd = line.replaceAll("\\s+#.*$", "").trim();
      if (cmd.startsWith("./mvnw")) {
        List<String> words = Arrays.asList(cmd.split("\\s+"));
        assertThat(ci.stream().anyMatch(l -> Arrays.asList(l.trim().split("\\s+")).containsAll(words)))
            .as("%s: '%s' is run by .ci/run", b.where(), cmd).isTrue();
      } else {
        kept.append(line).append('\n');
      }
    }
    return kept.toString();
  }

  private static void run(Block b, String commands, Path work) throws Exception {
    String script = "set -euo pipefail\n" + commands;
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).directory(work.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("DOCS_CP", System.getProperty("java.class.path"));
    env.put("CI", "true");
    env.put("DOCS_ARGS", b.marked("args") ? b.argument("args") : "");
    env.putIfAbsent("JDIFFUSION_CACHE", work.resolve("cache").toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    boolean done = p.waitFor(20, TimeUnit.MINUTES);
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(done).as("%s did not finish", b.where()).isTrue();
    assertThat(p.exitValue()).as("%s exited with %d:%n%s%n--- output (last 4000 characters) ---%n%s", b.where(),
        p.exitValue(), b.text(), text.substring(Math.max(0, text.length() - 4000))).isZero();
  }

  /**
   * A block that another test of this module runs in a reduced form that needs no training (e.g.
   * SamplingDocsTest samples docs/sampling.md's commands from an exact Gaussian model): that test must exist
   * and read the document.
   */
  private static void testedBy(Block b) throws IOException {
    Path test = ROOT.resolve("cli/src/test/java/dev/jdiffusion/cli/" + b.argument("tested-by") + ".java");
    assertThat(test).as("%s: tested by", b.where()).exists();
    String source = Files.readString(test);
    assertThat(source.contains(b.doc().getFileName().toString()) || source.contains("SamplingDocsTest.commandLines"))
        .as("%s: %s reads %s", b.where(), test.getFileName(), b.doc().getFileName()).isTrue();
  }

  /** A block that a CI script executes: the script must name the document it runs. */
  private static void runByCi(Block b) throws IOException {
    Path script = ROOT.resolve(b.argument("ci"));
    assertThat(script).as("%s: CI script", b.where()).exists();
    assertThat(Files.readString(script)).as("%s: %s runs %s", b.where(), script, ROOT.relativize(b.doc()))
        .contains(ROOT.relativize(b.doc()).toString());
  }

  @Test
  void reducedArgumentsReplaceValuesOrAreAdded() {
    var o = DocsLauncher.parse("run=--steps 2 --samples 20; bench train=--steps 1; compare=--quick");
    assertThat(DocsLauncher.apply(o, new String[] {"run", "--steps", "600", "x.yaml"}))
        .containsExactly("run", "--steps", "2", "x.yaml", "--samples", "20");
    assertThat(DocsLauncher.apply(o, new String[] {"--plugins", "p", "bench", "train"}))
        .containsExactly("--plugins", "p", "bench", "train", "--steps", "1");
    assertThat(DocsLauncher.apply(o, new String[] {"compare", "--quick"})).containsExactly("compare", "--quick");
    assertThat(DocsLauncher.apply(o, new String[] {"compare"})).containsExactly("compare", "--quick");
    assertThat(DocsLauncher.apply(o, new String[] {"sample", "--steps", "100"}))
        .containsExactly("sample", "--steps", "100");
    assertThat(String.format(Locale.ROOT, "%s", ROOT.resolve("README.md"))).endsWith("README.md");
    assertThat(ROOT.resolve("README.md")).exists();
  }
}
