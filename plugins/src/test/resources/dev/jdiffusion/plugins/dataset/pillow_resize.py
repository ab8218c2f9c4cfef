#!/usr/bin/env python3
"""Pillow's Image.resize as the reference for ResamplerTest (Debian's python3-pil, which CI installs).

usage: pillow_resize.py IN.bin CHANNELS WIDTH HEIGHT OUT_WIDTH OUT_HEIGHT FILTER OUT.bin
IN.bin: CHANNELS planes of HEIGHT x WIDTH bytes, channel after channel. Each plane is resized as a 32-bit
float image ("F" mode: no rounding or clipping between Pillow's two passes) with the named filter (nearest,
box, bilinear, bicubic, lanczos); OUT.bin gets the unrounded results as little-endian float32, plane after
plane.
"""
import struct
import sys

from PIL import Image

FILTERS = {
    "nearest": Image.NEAREST,
    "box": Image.BOX,
    "bilinear": Image.BILINEAR,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
}


def main(argv):
    data = open(argv[1], "rb").read()
    c, w, h, ow, oh = (int(x) for x in argv[2:7])
    flt = FILTERS[argv[7]]
    out = bytearray()
    for k in range(c):
        plane = data[k * w * h:(k + 1) * w * h]
        img = Image.frombytes("F", (w, h), struct.pack("<%df" % (w * h), *plane), "raw", "F;32F")
        res = img.resize((ow, oh), flt)
        out += struct.pack("<%df" % (ow * oh), *res.getdata())
    open(argv[8], "wb").write(bytes(out))


if __name__ == "__main__":
    main(sys.argv)
