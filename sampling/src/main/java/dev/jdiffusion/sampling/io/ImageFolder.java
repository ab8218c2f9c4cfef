package dev.jdiffusion.sampling.io;

import dev.jdiffusion.spi.dataset.ImageShape;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The images of one folder (not its subfolders), as pytorch-fid reads a folder: files ending in
 * {@code .png}, {@code .jpg}, {@code .jpeg}, {@code .bmp} (any case), in name order, decoded with
 * {@code javax.imageio} and scaled to [-1, 1] ({@code v / max * 2 - 1}, where max is 255 for 8-bit and 65535
 * for 16-bit images).
 */
public final class ImageFolder {
  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp");

  private ImageFolder() {}

  /**
   * The image files of {@code dir}, sorted by name.
   *
   * @throws IOException naming the folder when it holds no image files
   */
  public static List<Path> list(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(Files::isRegularFile)
          .filter(p -> EXTENSIONS.stream().anyMatch(p.getFileName().toString().toLowerCase(Locale.ROOT)::endsWith))
          .sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IOException(dir + ": no images (" + String.join(", ", EXTENSIONS) + ") in this folder");
    }
    return files;
  }

  /**
   * Reads one image as CHW floats in [-1, 1] with the requested channel count: grayscale images are read
   * from their single band (not through a colour conversion, which would apply a gamma curve), colour
   * images as sRGB; alpha is ignored; 1 and 3 channels are converted as {@link ImageTensors#channels}.
   *
   * @param channels 1 or 3
   * @return the pixels and their shape
   * @throws IOException naming the file when it cannot be decoded
   */
  public static Image read(Path file, int channels) throws IOException {
    BufferedImage img;
    try {
      img = ImageIO.read(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": cannot decode image (" + e.getMessage() + ")", e);
    }
    if (img == null) {
      throw new IOException(file + ": not an image format javax.imageio can read");
    }
    int h = img.getHeight();
    int w = img.getWidth();
    Raster r = img.getRaster();
    boolean gray = r.getNumBands() <= 2 && img.getColorModel().getColorSpace().getNumComponents() == 1;
    float[] px;
    int c;
    if (gray) {
      double max = (1L << img.getColorModel().getComponentSize(0)) - 1;
      px = new float[h * w];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          px[y * w + x] = (float) (r.getSample(x, y, 0) / max * 2 - 1);
        }
      }
      c = 1;
    } else {
      px = new float[3 * h * w];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int argb = img.getRGB(x, y);
          for (int k = 0; k < 3; k++) {
            px[k * h * w + y * w + x] = (float) (((argb >>> (16 - 8 * k)) & 0xff) / 255.0 * 2 - 1);
          }
        }
      }
      c = 3;
    }
    ImageShape shape = new ImageShape(c, h, w);
    return new Image(ImageTensors.channels(px, 1, shape, channels), new ImageShape(channels, h, w));
  }

  /** One decoded image: CHW pixels in [-1, 1] and their shape. */
  public record Image(float[] pixels, ImageShape shape) {}
}
