"""Sample a jdiffusion ONNX export with onnxruntime and numpy alone, from its metadata.

    python3 docs/sample_onnx.py model.onnx 16 50 grid.npy

Deterministic DDIM (eta = 0, Song et al. 2021) on trailing-spaced timesteps, with the x0 estimate clipped
to the model's pixel range, as `./diffusion sample --sampler ddim` does. Everything about the model (the
alphabar table, how to turn the output into x0 and eps estimates, the image shape) is read from the
model's metadata_props; see README "What an exported model carries".
"""
import base64
import sys

import numpy as np


def table(meta, key):
    """A per-timestep table: base64 of little-endian float64 (jdiffusion.table_encoding)."""
    assert meta["jdiffusion.table_encoding"] == "base64-float64-le"
    return np.frombuffer(base64.b64decode(meta["jdiffusion." + key]), dtype="<f8")


def trailing(T, steps):
    """Timesteps T-1 first (Lin et al. 2024), rounded half to even as numpy does: 999, 937, 874, 811, ... for 16."""
    return (np.round(T - np.arange(steps) * T / steps).astype(np.int64) - 1).tolist()


def ddim(predict, meta, n, steps, seed=0):
    """predict(x float32 [n,C,H,W], t int64 [n]) -> the network output, same shape as x."""
    ab = table(meta, "alphabar")
    a, b = table(meta, "x0_from_xt"), table(meta, "x0_from_output")
    c, d = table(meta, "eps_from_xt"), table(meta, "eps_from_output")
    lo, hi = float(meta["jdiffusion.pixel.min"]), float(meta["jdiffusion.pixel.max"])
    shape = [int(meta["jdiffusion.image." + k]) for k in ("channels", "height", "width")]
    ts = trailing(len(ab), steps)
    x = np.random.default_rng(seed).standard_normal((n, *shape))
    for k, t in enumerate(ts):
        out = predict(x.astype(np.float32), np.full(n, t, dtype=np.int64)).astype(np.float64)
        x0 = a[t] * x + b[t] * out
        eps = c[t] * x + d[t] * out
        clipped = np.clip(x0, lo, hi)
        eps = np.where(clipped != x0, (x - np.sqrt(ab[t]) * clipped) / np.sqrt(1 - ab[t]), eps)
        ab_prev = ab[ts[k + 1]] if k + 1 < len(ts) else 1.0
        x = np.sqrt(ab_prev) * clipped + np.sqrt(1 - ab_prev) * eps
    return x.astype(np.float32)


def main():
    import onnxruntime as ort

    path, n, steps, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    session = ort.InferenceSession(path)
    meta = session.get_modelmeta().custom_metadata_map
    output = meta["jdiffusion.parameterization"]
    images = ddim(lambda x, t: session.run([output], {"x": x, "t": t})[0], meta, n, steps)
    np.save(out, images)  # [n, C, H, W] in the pixel range, normally [-1, 1]


if __name__ == "__main__":
    main()
