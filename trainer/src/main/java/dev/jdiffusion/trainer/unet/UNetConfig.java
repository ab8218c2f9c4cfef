package dev.jdiffusion.trainer.unet;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The shape of a {@link UNet}: everything needed to rebuild it (and to export it).
 *
 * @param imageChannels channels of the input and output images
 * @param imageSize height and width of the (square) images; divisible by {@code 2^(levels - 1)}
 * @param baseChannels channels of the first level; the sinusoidal embedding has this width and the
 *     embedding MLP {@code 4 * baseChannels}
 * @param channelMultipliers per level, its channel count as a multiple of {@code baseChannels}
 * @param resBlocks residual blocks per level on the way down ({@code resBlocks + 1} on the way up)
 * @param attentionResolutions the feature-map sizes (e.g. 16 for 16x16) after whose residual blocks a
 *     self-attention block follows; the middle always has one
 * @param dropout dropout rate inside the residual blocks, in {@code [0, 1)}
 */
public record UNetConfig(
    int imageChannels,
    int imageSize,
    int baseChannels,
    List<Integer> channelMultipliers,
    int resBlocks,
    List<Integer> attentionResolutions,
    double dropout) {

  /** Names of the built-in presets and what they are. */
  public static final Map<String, String> PRESETS = presetDescriptions();

  public UNetConfig {
    channelMultipliers = List.copyOf(channelMultipliers);
    attentionResolutions = List.copyOf(attentionResolutions);
    check(imageChannels >= 1, "imageChannels", imageChannels, ">= 1");
    check(baseChannels >= 2 && baseChannels % 2 == 0, "baseChannels", baseChannels, "even and >= 2");
    check(!channelMultipliers.isEmpty(), "channelMultipliers", channelMultipliers, "a non-empty list");
    for (int m : channelMultipliers) {
      check(m >= 1, "channelMultipliers", channelMultipliers, "a list of integers >= 1");
      int c = baseChannels * m;
      check(c <= 32 || c % 32 == 0, "channelMultipliers", channelMultipliers,
          "such that every width (baseChannels x multiplier) is <= 32 or a multiple of 32, for GroupNorm's"
              + " min(32, channels) groups (got width " + c + ")");
    }
    check(resBlocks >= 1, "resBlocks", resBlocks, ">= 1");
    for (int w : decoderInputWidths(baseChannels, channelMultipliers, resBlocks)) {
      check(w <= 32 || w % 32 == 0, "channelMultipliers", channelMultipliers,
          "such that every width the decoder concatenates (its width plus a skip's) is <= 32 or a multiple of"
              + " 32, for GroupNorm's min(32, channels) groups (got " + w + " with baseChannels = " + baseChannels
              + "; a baseChannels of 32 or more avoids this)");
    }
    int levels = channelMultipliers.size();
    check(imageSize >= 1 && imageSize % (1 << (levels - 1)) == 0, "imageSize", imageSize,
        "a multiple of 2^(levels - 1) = " + (1 << (levels - 1)));
    check(dropout >= 0 && dropout < 1, "dropout", dropout, "in [0, 1)");
  }

  private static void check(boolean ok, String field, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException(
          "model." + field + " = " + value + " is not allowed: must be " + allowed);
    }
  }

  /**
   * The input widths of the decoder's residual blocks, in the order {@link UNet} builds them: the running
   * width plus the width of the skip it concatenates (skips are pushed on the way down and popped on the
   * way up).
   */
  public List<Integer> decoderInputWidths() {
    return decoderInputWidths(baseChannels, channelMultipliers, resBlocks);
  }

  static List<Integer> decoderInputWidths(int base, List<Integer> multipliers, int resBlocks) {
    java.util.Deque<Integer> skips = new java.util.ArrayDeque<>();
    skips.push(base);
    int ch = base;
    int levels = multipliers.size();
    for (int level = 0; level < levels; level++) {
      for (int i = 0; i < resBlocks; i++) {
        ch = base * multipliers.get(level);
        skips.push(ch);
      }
      if (level != levels - 1) {
        skips.push(ch);
      }
    }
    List<Integer> widths = new java.util.ArrayList<>();
    for (int level = levels - 1; level >= 0; level--) {
      for (int i = 0; i <= resBlocks; i++) {
        widths.add(ch + skips.pop());
        ch = base * multipliers.get(level);
      }
    }
    return widths;
  }

  /** Width of the timestep MLP: {@code 4 * baseChannels}. */
  public int embeddingDim() {
    return 4 * baseChannels;
  }

  /** Number of levels (resolutions). */
  public int levels() {
    return channelMultipliers.size();
  }

  /** Channels of level {@code level}. */
  public int channels(int level) {
    return baseChannels * channelMultipliers.get(level);
  }

  /** Feature-map size at {@code level}. */
  public int resolution(int level) {
    return imageSize >> level;
  }

  /**
   * {@code unet-xs}: base 32, multipliers (1, 2), 1 residual block per level, attention at 16x16 (DESIGN.md,
   * "Reference networks"); for 1x32x32 images: 701,345 parameters, 0.58 GFLOP forward per image.
   */
  public static UNetConfig unetXs(int imageChannels, int imageSize) {
    return new UNetConfig(imageChannels, imageSize, 32, List.of(1, 2), 1, List.of(16), 0);
  }

  /**
   * {@code unet-s}: base 64, multipliers (1, 2, 2), 2 residual blocks per level, attention at 8x8; for
   * 1x32x32 images: 6,469,889 parameters, 2.89 GFLOP forward per image.
   */
  public static UNetConfig unetS(int imageChannels, int imageSize) {
    return new UNetConfig(imageChannels, imageSize, 64, List.of(1, 2, 2), 2, List.of(8), 0);
  }

  /**
   * {@code unet-rgb32}: for 3x32x32 (CIFAR-10-like) data, base 64, multipliers (1, 2, 2, 2), 2 residual
   * blocks, attention at 16x16, dropout 0.1: Ho et al.'s CIFAR-10 layout at half width.
   */
  public static UNetConfig unetRgb32(int imageChannels, int imageSize) {
    return new UNetConfig(imageChannels, imageSize, 64, List.of(1, 2, 2, 2), 2, List.of(16), 0.1);
  }

  /**
   * {@code unet-rgb64}: for 3x64x64 (CelebA-64-like) data, base 64, multipliers (1, 2, 2, 4), 2 residual
   * blocks, attention at 16x16.
   */
  public static UNetConfig unetRgb64(int imageChannels, int imageSize) {
    return new UNetConfig(imageChannels, imageSize, 64, List.of(1, 2, 2, 4), 2, List.of(16), 0);
  }

  /**
   * The preset of that name for images of the given shape.
   *
   * @throws IllegalArgumentException naming the preset and listing the known ones
   */
  public static UNetConfig preset(String name, int imageChannels, int imageSize) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "unet-xs" -> unetXs(imageChannels, imageSize);
      case "unet-s" -> unetS(imageChannels, imageSize);
      case "unet-rgb32" -> unetRgb32(imageChannels, imageSize);
      case "unet-rgb64" -> unetRgb64(imageChannels, imageSize);
      default -> throw new IllegalArgumentException(
          "model.preset = " + name + " is not allowed: must be one of " + PRESETS.keySet());
    };
  }

  private static Map<String, String> presetDescriptions() {
    Map<String, String> m = new TreeMap<>();
    m.put("unet-xs", "base 32, (1, 2), 1 res block, attention 16x16 (benchmark network, ~0.70 M params at 1x32x32)");
    m.put("unet-s", "base 64, (1, 2, 2), 2 res blocks, attention 8x8 (benchmark network, ~6.47 M params at 1x32x32)");
    m.put("unet-rgb32", "base 64, (1, 2, 2, 2), 2 res blocks, attention 16x16, dropout 0.1 (3x32x32 data)");
    m.put("unet-rgb64", "base 64, (1, 2, 2, 4), 2 res blocks, attention 16x16 (3x64x64 data)");
    return java.util.Collections.unmodifiableMap(m);
  }
}
