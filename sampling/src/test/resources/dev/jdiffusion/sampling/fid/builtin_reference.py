"""Independent reference FID for the built-in extractor, in numpy/scipy alone (no ONNX Runtime).

usage: builtin_reference.py MODEL.onnx IDX_DIR OUT_DIR N

Reads the Fashion-MNIST IDX files in IDX_DIR (gzipped), takes A = the first N test images and B = the first N
training images (pixels b / 127.5 - 1, 28x28), writes them to OUT_DIR/a.npy and OUT_DIR/b.npy (float32
[N, 1, 28, 28]) for the Java side, and computes their FID under MODEL.onnx:

- the images are padded to 32x32 with -1 (the extractor's metadata jdiffusion.extractor.padding = 2);
- the graph is evaluated by the small numpy interpreter below (Conv, Relu, MaxPool, Flatten, Gemm, in
  float64), reading the weights with the onnx package; its output 'features' are the feature vectors;
- FID is pytorch-fid's calculate_frechet_distance on np.mean / np.cov(rowvar=False).

Prints JSON {"fid": ..., "n": N, "dimension": D, "padding": p}.
"""
import gzip
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from scipy import linalg


def idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, h, w = np.frombuffer(data[:16], dtype=">i4")
    assert magic == 0x803, hex(magic)
    return np.frombuffer(data[16:], dtype=np.uint8).reshape(n, h, w)


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def conv(x, w, b, pads, strides):
    top, left, bottom, right = pads[0], pads[1], pads[2], pads[3]
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    kh, kw = w.shape[2], w.shape[3]
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::strides[0], ::strides[1]]  # [N, C, H', W', kh, kw]
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # [N, H', W', O]
    return out.transpose(0, 3, 1, 2) + b.reshape(1, -1, 1, 1)


def maxpool(x, kernel, strides):
    windows = np.lib.stride_tricks.sliding_window_view(x, tuple(kernel), axis=(2, 3))
    windows = windows[:, :, ::strides[0], ::strides[1]]
    return windows.max(axis=(4, 5))


def run(model, x):
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    values[model.graph.input[0].name] = x
    for node in model.graph.node:
        ins = [values[i] for i in node.input if i]
        if node.op_type == "Conv":
            assert attr(node, "group", 1) == 1 and list(attr(node, "dilations", [1, 1])) == [1, 1]
            b = ins[2] if len(ins) > 2 else np.zeros(ins[1].shape[0])
            out = conv(ins[0], ins[1], b, list(attr(node, "pads", [0, 0, 0, 0])), list(attr(node, "strides", [1, 1])))
        elif node.op_type == "Relu":
            out = np.maximum(ins[0], 0)
        elif node.op_type == "MaxPool":
            assert list(attr(node, "pads", [0, 0, 0, 0])) == [0, 0, 0, 0]
            out = maxpool(ins[0], attr(node, "kernel_shape"), attr(node, "strides"))
        elif node.op_type == "Flatten":
            axis = attr(node, "axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif node.op_type == "Gemm":
            a = ins[0].T if attr(node, "transA", 0) else ins[0]
            w = ins[1].T if attr(node, "transB", 0) else ins[1]
            out = attr(node, "alpha", 1.0) * (a @ w)
            if len(ins) > 2:
                out = out + attr(node, "beta", 1.0) * ins[2]
        else:
            raise ValueError("op not in this reference interpreter: " + node.op_type)
        values[node.output[0]] = out
    return values["features"]


def features(model, images, padding):
    x = images.astype(np.float64)
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=-1.0)
    return np.concatenate([run(model, x[i:i + 100]) for i in range(0, len(x), 100)])


def frechet(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def main():
    model_path, idx_dir, out_dir, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    model = onnx.load(model_path)
    meta = {p.key: p.value for p in model.metadata_props}
    padding = int(meta.get("jdiffusion.extractor.padding", "0"))
    sets = {}
    for name, file in (("a", "t10k-images-idx3-ubyte.gz"), ("b", "train-images-idx3-ubyte.gz")):
        pixels = idx_images(os.path.join(idx_dir, file))[:n].astype(np.float32) / np.float32(127.5) - np.float32(1)
        pixels = pixels.reshape(n, 1, 28, 28)
        np.save(os.path.join(out_dir, name + ".npy"), pixels)
        f = features(model, pixels, padding)
        sets[name] = (f.mean(axis=0), np.cov(f, rowvar=False))
    fid = frechet(sets["a"][0], sets["a"][1], sets["b"][0], sets["b"][1])
    print(json.dumps({"fid": fid, "n": n, "dimension": int(sets["a"][0].shape[0]), "padding": padding}))


if __name__ == "__main__":
    main()
