"""jdiffusion's per-image sampling noise, written from its documentation (SeededNoise), in plain Python.

Image i's draw k (0: the starting noise x_T; k: the k-th update's noise) comes from a SplitMix64 generator
(Steele, Lea and Flood 2014) seeded with derive(derive(seed, i), k), where
derive(s, j) = mix(mix(s) ^ mix(j + GOLDEN)); its doubles (top 53 bits) become normals by Marsaglia's
polar method, one normal per accepted pair.

usage: seeded_noise.py SEED IMAGE DRAW COUNT   -> prints COUNT normals, one per line (repr)
"""
import math
import sys

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def derive(seed, stream):
    return mix(mix(seed & MASK) ^ mix((stream + GOLDEN) & MASK))


def normals(seed, image, draw, count):
    state = derive(derive(seed, image), draw)
    out = []
    while len(out) < count:
        pair = []
        for _ in range(2):
            state = (state + GOLDEN) & MASK
            pair.append(2 * ((mix(state) >> 11) * 2.0 ** -53) - 1)
        u, v = pair
        s = u * u + v * v
        if 0 < s < 1:
            out.append(u * math.sqrt(-2 * math.log(s) / s))
    return out


def array(seed, draws, images, size):
    """noise[draw, image, value] as nested lists."""
    return [[normals(seed, i, k, size) for i in range(images)] for k in range(draws)]


if __name__ == "__main__":
    for value in normals(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])):
        print(repr(value))
