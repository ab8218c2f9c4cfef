package dev.jdiffusion.plugins.dataset;

import static dev.jdiffusion.plugins.dataset.Datasets.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.jdiffusion.core.data.PixelStatistics;
import dev.jdiffusion.plugins.dataset.Download.Checksum;
import dev.jdiffusion.plugins.dataset.IdxCollection.Split;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistDatasetTest {
  private static final Path SYSTEM = Path.of("/usr/share/datasets/fashion-mnist");

  @TempDir Path tmp;

  /** The real Fashion-MNIST of Debian's dataset-fashion-mnist; CI installs it, so there it must be found. */
  @Test
  void readsTheRealFashionMnist() throws IOException {
    boolean ci = "true".equals(System.getenv("CI"));
    assumeTrue(ci || Files.isDirectory(SYSTEM), "dataset-fashion-mnist is not installed");
    String noDownload = ", download: false, cacheDir: '" + tmp.resolve("empty-cache") + "'";
    try (DatasetSource train = open("{name: fashion-mnist, split: train" + noDownload + "}");
        DatasetSource test = open("{name: fashion-mnist, split: test" + noDownload + "}")) {
      assertThat(train.size()).isEqualTo(60_000);
      assertThat(test.size()).isEqualTo(10_000);
      assertThat(train.shape()).isEqualTo(new ImageShape(1, 28, 28));
      int[] perClass = new int[10];
      for (int i = 0; i < train.size(); i++) {
        perClass[train.label(i)]++;
      }
      assertThat(perClass).containsOnly(6000);
      // published statistics of the training images in [0, 1]: mean 0.2860, std 0.3530
      PixelStatistics stats = PixelStatistics.of(train);
      assertThat(stats.min()).isEqualTo(-1.0);
      assertThat(stats.max()).isEqualTo(1.0);
      assertThat((stats.mean() + 1) / 2).isCloseTo(0.2860, within(5e-4));
      assertThat(stats.std() / 2).isCloseTo(0.3530, within(5e-4));
      assertThat(test.label(0)).isEqualTo(9); // the first test image is an ankle boot
    }
  }

  @Test
  void mnistChecksItsPublishedSizes() throws IOException {
    Path dir = tmp.resolve("mnist");
    Path[] f = IdxFiles.write(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 3, 28, 28, 10, true);
    assertThatThrownBy(() -> open("{name: mnist, split: test, dir: '" + dir + "'}"))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(f[0] + ": expected 10000 images (the mnist test split), found 3 images");
  }

  // ---- where the files are found, on a small collection of the same layout

  private static final Checksum ANY = Checksum.md5("0123456789abcdef0123456789abcdef");
  private static final Split TRAIN = new Split("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 6, ANY, ANY);
  private static final Split TEST = new Split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 4, ANY, ANY);

  private IdxCollection collection(Path system) {
    return new IdxCollection("tiny", List.of(system), "file:///nowhere/", TRAIN, TEST, 3, 3, 5);
  }

  @Test
  void looksInTheSystemDirectoryThenTheCache() throws IOException {
    Path system = tmp.resolve("system");
    Path cache = tmp.resolve("cache");
    IdxFiles.write(cache, TRAIN.images(), TRAIN.labels(), 6, 3, 3, 5, true);
    IdxCollection c = collection(system);
    assertThat(c.locate(TRAIN, null, cache, false, c.baseUrl())[0]).startsWith(cache);
    IdxFiles.write(system, TRAIN.images(), TRAIN.labels(), 6, 3, 3, 5, false);
    Path[] found = c.locate(TRAIN, null, cache, false, c.baseUrl());
    assertThat(found).containsExactly(system.resolve(TRAIN.images()), system.resolve(TRAIN.labels()));
    assertThat(c.read(TRAIN, found[0], found[1]).count()).isEqualTo(6);
  }

  @Test
  void aConfiguredDirectoryIsTheOnlyPlaceLooked() throws IOException {
    Path system = tmp.resolve("system");
    IdxFiles.write(system, TEST.images(), TEST.labels(), 4, 3, 3, 5, true);
    Path mine = tmp.resolve("mine");
    Files.createDirectories(mine);
    Files.writeString(mine.resolve("README"), "nothing here");
    IdxCollection c = collection(system);
    assertThatThrownBy(() -> c.locate(TEST, mine, tmp.resolve("cache"), true, c.baseUrl()))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(mine + ": expected t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], found only README");
  }

  @Test
  void missingDirectory() {
    Path missing = tmp.resolve("no-such-dir");
    assertThatThrownBy(() -> open("{name: fashion-mnist, dir: '" + missing + "'}"))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(missing + ": expected a directory holding train-images-idx3-ubyte[.gz] and "
            + "train-labels-idx1-ubyte[.gz], found no such directory");
  }

  @Test
  void nothingFoundAndNoDownload() {
    IdxCollection c = collection(tmp.resolve("system"));
    Path cache = tmp.resolve("cache");
    assertThatThrownBy(() -> c.locate(TRAIN, null, cache, false, c.baseUrl()))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(tmp.resolve("system") + ", " + cache)
        .hasMessageContaining("expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]")
        .hasMessageContaining("found none there, and download is false");
  }

  @Test
  void aSplitOfTheWrongSizeIsRefused() throws IOException {
    Path dir = tmp.resolve("short");
    Path[] f = IdxFiles.write(dir, TRAIN.images(), TRAIN.labels(), 5, 3, 3, 5, true);
    IdxCollection c = collection(tmp.resolve("system"));
    assertThatThrownBy(() -> c.read(TRAIN, f[0], f[1]))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(f[0] + ": expected 6 images (the tiny train split), found 5 images");
    Path[] g = IdxFiles.write(tmp.resolve("classes"), TRAIN.images(), TRAIN.labels(), 6, 3, 3, 9, true);
    assertThatThrownBy(() -> c.read(TRAIN, g[0], g[1]))
        .hasMessage(g[1] + ": expected labels in 0..4, found label 5 for image 5");
  }

  // ---- downloads: a file URL and a local HTTP server stand in for the official site

  private static Split checked(Path dir, Split split) throws IOException {
    return new Split(split.images(), split.labels(), split.count(),
        Checksum.md5(Download.digestOf(dir.resolve(split.images() + ".gz"), "MD5")),
        Checksum.sha256(Download.digestOf(dir.resolve(split.labels() + ".gz"), "SHA-256")));
  }

  @Test
  void downloadsFromAFileUrlAndVerifiesTheChecksums() throws IOException {
    Path site = tmp.resolve("site");
    IdxFiles.write(site, TRAIN.images(), TRAIN.labels(), 6, 3, 3, 5, true);
    Split train = checked(site, TRAIN);
    IdxCollection c = new IdxCollection("tiny", List.of(), site.toUri().toString(), train, TEST, 3, 3, 5);
    Path cache = tmp.resolve("cache");
    Path[] got = c.locate(train, null, cache, true, c.baseUrl());
    assertThat(got).containsExactly(cache.resolve(TRAIN.images() + ".gz"), cache.resolve(TRAIN.labels() + ".gz"));
    assertThat(got[0]).hasSameBinaryContentAs(site.resolve(TRAIN.images() + ".gz"));
    assertThat(c.read(train, got[0], got[1]).count()).isEqualTo(6);
    try (Stream<Path> left = Files.list(cache)) {
      assertThat(left.filter(p -> p.toString().endsWith(".part"))).isEmpty();
    }
  }

  @Test
  void aDownloadWithTheWrongChecksumIsNotKept() throws IOException {
    Path site = tmp.resolve("site");
    IdxFiles.write(site, TRAIN.images(), TRAIN.labels(), 6, 3, 3, 5, true);
    Split wrong = new Split(TRAIN.images(), TRAIN.labels(), 6,
        Checksum.md5("00000000000000000000000000000000"), Checksum.md5("00000000000000000000000000000000"));
    IdxCollection c = new IdxCollection("tiny", List.of(), site.toUri().toString(), wrong, TEST, 3, 3, 5);
    Path cache = tmp.resolve("cache");
    String actual = Download.digestOf(site.resolve(TRAIN.images() + ".gz"), "MD5");
    assertThatThrownBy(() -> c.locate(wrong, null, cache, true, c.baseUrl()))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining(site.toUri() + TRAIN.images() + ".gz: expected MD5 00000000000000000000000000000000")
        .hasMessageContaining("found MD5 " + actual);
    try (Stream<Path> left = Files.list(cache)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void downloadsOverHttp() throws IOException {
    Path site = tmp.resolve("site");
    IdxFiles.write(site, TEST.images(), TEST.labels(), 4, 3, 3, 5, true);
    Split test = checked(site, TEST);
    AtomicInteger requests = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/data/", exchange -> {
      requests.incrementAndGet();
      Path file = site.resolve(exchange.getRequestURI().getPath().substring("/data/".length()));
      if (!Files.isRegularFile(file)) {
        exchange.sendResponseHeaders(404, -1);
        exchange.close();
        return;
      }
      byte[] body = Files.readAllBytes(file);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/data";
      IdxCollection c = new IdxCollection("tiny", List.of(), url, TRAIN, test, 3, 3, 5);
      Path cache = tmp.resolve("cache");
      Path[] got = c.locate(test, null, cache, true, url);
      assertThat(c.read(test, got[0], got[1]).count()).isEqualTo(4);
      assertThat(requests).hasValue(2);
      c.locate(test, null, cache, true, url); // now cached: no new request
      assertThat(requests).hasValue(2);
      assertThatThrownBy(() -> c.locate(TRAIN, null, tmp.resolve("cache2"), true, url))
          .hasMessageContaining("tiny: no copy of train-images-idx3-ubyte[.gz]")
          .hasMessageContaining("the download failed: cannot download " + url + "/train-images-idx3-ubyte.gz");
    } finally {
      server.stop(0);
    }
  }
}
