#!/usr/bin/env python3
"""An independent PyTorch implementation of the DDPM UNet, for UNetReferenceTest.

Written from the description of the network, not from jdiffusion's Java code:
  - Ho, Jain and Abbeel (2020), "Denoising Diffusion Probabilistic Models", appendix B: a U-Net on the
    PixelCNN++ backbone (a Wide ResNet), group normalisation instead of weight normalisation, residual
    blocks at every resolution, self-attention at the chosen resolutions, and the timestep given to every
    residual block through the Transformer's sinusoidal position embedding.
  - DESIGN.md, "Reference networks": GroupNorm with min(32, channels) groups, SiLU, the sinusoidal
    embedding of the base width through an MLP to 4x the base width, projected into each residual block
    after its first convolution; stride-2 3x3 convolution down; nearest x2 then a 3x3 convolution up;
    skips concatenated as in Ho et al.; the middle is residual block, attention, residual block; the output
    is GroupNorm, SiLU, 3x3 convolution to the image channels.
  - DESIGN.md, "The math": x_t = sqrt(alphabar) x0 + sqrt(1 - alphabar) eps; the target of eps-prediction
    is eps, of v-prediction sqrt(alphabar) eps - sqrt(1 - alphabar) x0, of x0-prediction x0; the loss is the
    mean over the batch of weight * per-sample MSE.
Everything is computed in float64 from the float32 weights the test passes in, so the reference carries no
float32 rounding of its own.

usage: ddpm_unet_reference.py IN.npz OUT.npz PARAMETERIZATION (eps, x0 or v)
IN holds the configuration (config: image_channels, image_size, base, resblocks; multipliers;
attention_resolutions), the network's parameters under the Java side's names (param/<name>), and the
inputs: x_t and t for the forward pass (fwd_xt, fwd_t); x0, t, eps, alphabar per sample and loss weight per
sample for the training step (train_*). OUT gets fwd_out, train_loss and grad/<Java name>.
"""
import math
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


def groups(channels):
    return min(32, channels)


def sinusoidal(t, dim):
    """The Transformer position embedding of the timestep: [sin(t f_i) | cos(t f_i)],
    f_i = 10000^(-i / (dim/2 - 1)), i = 0 .. dim/2 - 1 (as in the DDPM code's get_timestep_embedding)."""
    half = dim // 2
    i = torch.arange(half, dtype=torch.float64)
    f = torch.exp(-math.log(10000.0) * i / (half - 1))
    a = t.to(torch.float64)[:, None] * f[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class Params:
    """The parameters, in the reference's own names; each is a leaf tensor that collects a gradient."""

    def __init__(self):
        self.tensors = {}

    def new(self, name, *shape):
        assert name not in self.tensors, name
        p = torch.zeros(*shape, requires_grad=True)
        self.tensors[name] = p
        return p


def conv(ps, name, cin, cout, k):
    return {"w": ps.new(name + ".weight", cout, cin, k, k), "b": ps.new(name + ".bias", cout)}


def dense(ps, name, cin, cout):
    return {"w": ps.new(name + ".weight", cout, cin), "b": ps.new(name + ".bias", cout)}


def norm(ps, name, c):
    return {"g": ps.new(name + ".gamma", c), "b": ps.new(name + ".beta", c), "groups": groups(c)}


def apply_conv(p, x, stride=1):
    k = p["w"].shape[-1]
    return F.conv2d(x, p["w"], p["b"], stride=stride, padding=k // 2)


def apply_dense(p, x):
    return x @ p["w"].t() + p["b"]


def apply_norm(p, x, eps=1e-5):
    # GroupNorm: mean and biased variance over each group's channels and pixels, then a per-channel affine.
    b, c, h, w = x.shape
    g = x.reshape(b, p["groups"], -1)
    mean = g.mean(dim=2, keepdim=True)
    var = ((g - mean) ** 2).mean(dim=2, keepdim=True)
    y = ((g - mean) / torch.sqrt(var + eps)).reshape(b, c, h, w)
    return y * p["g"][None, :, None, None] + p["b"][None, :, None, None]


def silu(x):
    return x * torch.sigmoid(x)


class ResBlock:
    """PixelCNN++/Wide-ResNet block as DDPM uses it: norm, SiLU, conv; plus the projected timestep
    embedding; norm, SiLU, (dropout 0), conv; a 1x1 convolution on the shortcut when the width changes."""

    def __init__(self, ps, name, cin, cout, temb):
        self.norm1 = norm(ps, name + ".norm1", cin)
        self.conv1 = conv(ps, name + ".conv1", cin, cout, 3)
        self.temb = dense(ps, name + ".temb", temb, cout)
        self.norm2 = norm(ps, name + ".norm2", cout)
        self.conv2 = conv(ps, name + ".conv2", cout, cout, 3)
        self.shortcut = conv(ps, name + ".shortcut", cin, cout, 1) if cin != cout else None

    def __call__(self, x, temb):
        h = apply_conv(self.conv1, silu(apply_norm(self.norm1, x)))
        h = h + apply_dense(self.temb, silu(temb))[:, :, None, None]
        h = apply_conv(self.conv2, silu(apply_norm(self.norm2, h)))
        skip = x if self.shortcut is None else apply_conv(self.shortcut, x)
        return skip + h


class Attention:
    """Single-head self-attention over the pixels: q, k, v and the output as 1x1 convolutions, weights
    softmax(q^T k / sqrt(C)) over the keys, residual connection."""

    def __init__(self, ps, name, c):
        self.norm = norm(ps, name + ".norm", c)
        self.q = conv(ps, name + ".q", c, c, 1)
        self.k = conv(ps, name + ".k", c, c, 1)
        self.v = conv(ps, name + ".v", c, c, 1)
        self.out = conv(ps, name + ".out", c, c, 1)

    def __call__(self, x):
        b, c, h, w = x.shape
        n = apply_norm(self.norm, x)
        q = apply_conv(self.q, n).reshape(b, c, h * w)
        k = apply_conv(self.k, n).reshape(b, c, h * w)
        v = apply_conv(self.v, n).reshape(b, c, h * w)
        logits = torch.einsum("bci,bcj->bij", q, k) / math.sqrt(c)  # i: query pixel, j: key pixel
        a = torch.softmax(logits, dim=2)
        o = torch.einsum("bij,bcj->bci", a, v).reshape(b, c, h, w)
        return x + apply_conv(self.out, o)


class UNet:
    def __init__(self, channels, size, base, mults, nres, attn):
        ps = self.params = Params()
        temb = 4 * base
        self.base = base
        self.temb1 = dense(ps, "temb.dense1", base, temb)
        self.temb2 = dense(ps, "temb.dense2", temb, temb)
        self.conv_in = conv(ps, "conv_in", channels, base, 3)
        # Contracting path: per level nres residual blocks (each followed by attention at the listed
        # resolutions), then a stride-2 convolution except after the last level. Every output is a skip.
        self.down = []
        widths = [base]
        cur, res = base, size
        for level, m in enumerate(mults):
            for i in range(nres):
                block = [ResBlock(ps, "down%d.res%d" % (level, i), cur, base * m, temb)]
                cur = base * m
                if res in attn:
                    block.append(Attention(ps, "down%d.attn%d" % (level, i), cur))
                self.down.append(("res", block))
                widths.append(cur)
            if level != len(mults) - 1:
                self.down.append(("down", conv(ps, "down%d.downsample" % level, cur, cur, 3)))
                widths.append(cur)
                res //= 2
        self.mid1 = ResBlock(ps, "mid.res1", cur, cur, temb)
        self.mid_attn = Attention(ps, "mid.attn", cur)
        self.mid2 = ResBlock(ps, "mid.res2", cur, cur, temb)
        # Expanding path: per level nres + 1 residual blocks, each on the running features concatenated
        # with the most recent unused skip; nearest x2 and a 3x3 convolution between levels.
        self.up = []
        for level in reversed(range(len(mults))):
            m = mults[level]
            for i in range(nres + 1):
                block = [ResBlock(ps, "up%d.res%d" % (level, i), cur + widths.pop(), base * m, temb)]
                cur = base * m
                if res in attn:
                    block.append(Attention(ps, "up%d.attn%d" % (level, i), cur))
                self.up.append(("res", block))
            if level != 0:
                self.up.append(("up", conv(ps, "up%d.upsample" % level, cur, cur, 3)))
                res *= 2
        assert not widths
        self.norm_out = norm(ps, "norm_out", cur)
        self.conv_out = conv(ps, "conv_out", cur, channels, 3)

    def __call__(self, x, t):
        temb = apply_dense(self.temb2, silu(apply_dense(self.temb1, sinusoidal(t, self.base))))
        h = apply_conv(self.conv_in, x)
        skips = [h]
        for kind, m in self.down:
            if kind == "down":
                h = apply_conv(m, h, stride=2)
            else:
                h = m[0](h, temb)
                for a in m[1:]:
                    h = a(h)
            skips.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, temb)), temb)
        for kind, m in self.up:
            if kind == "up":
                h = apply_conv(m, F.interpolate(h, scale_factor=2, mode="nearest"))
            else:
                h = m[0](torch.cat([h, skips.pop()], dim=1), temb)
                for a in m[1:]:
                    h = a(h)
        return apply_conv(self.conv_out, silu(apply_norm(self.norm_out, h)))


def canonical_java(name):
    """A Java parameter name without DJL's two-digit block positions:
    '05down1_res0_06skip_weight' -> 'down1_res0_skip_weight'."""
    return re.sub(r"(^|_)\d\d(?=[a-z])", r"\1", name)


def canonical_reference(ref):
    """The same key for a reference parameter. Only names differ between the two implementations: the Java
    side calls the timestep MLP time_embed.linear1/2, a residual block's timestep projection temb_proj and
    its 1x1 shortcut skip, and wraps the convolution of a down/upsample in a block of its own."""
    block, leaf = ref.rsplit(".", 1)
    parts = block.split(".")
    if parts[0] == "temb":
        parts = ["time_embed", {"dense1": "linear1", "dense2": "linear2"}[parts[1]]]
    elif parts[-1] in ("downsample", "upsample"):
        parts = parts + ["conv"]
    else:
        parts = [{"temb": "temb_proj", "shortcut": "skip"}.get(x, x) for x in parts]
    return "_".join(parts + [leaf])


def load(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def main(argv):
    data = load(argv[1])
    cfg = data["config"].astype(int).tolist()
    channels, size, base, nres = cfg
    mults = data["multipliers"].astype(int).tolist()
    attn = set(data["attention_resolutions"].astype(int).tolist())
    net = UNet(channels, size, base, mults, nres, attn)

    # Parameters, matched by name (see canonical_java / canonical_reference) and checked by shape.
    java = {k[len("param/"):]: v for k, v in data.items() if k.startswith("param/")}
    by_key = {}
    for name in java:
        key = canonical_java(name)
        if key in by_key:
            raise SystemExit("two Java parameters map to %s: %s and %s" % (key, by_key[key], name))
        by_key[key] = name
    mapping = {}
    for ref, p in net.params.tensors.items():
        key = canonical_reference(ref)
        if key not in by_key:
            raise SystemExit("the Java network has no parameter for %s (looked for %s)" % (ref, key))
        name = by_key.pop(key)
        value = java[name]
        if tuple(value.shape) != tuple(p.shape):
            raise SystemExit("%s (%s): shape %s in Java, %s in the reference"
                             % (ref, name, tuple(value.shape), tuple(p.shape)))
        with torch.no_grad():
            p.copy_(torch.from_numpy(value.astype(np.float64)))
        mapping[ref] = name
    if by_key:
        raise SystemExit("Java parameters the reference network has no place for: %s" % sorted(by_key.values()))

    out = {}
    with torch.no_grad():
        y = net(torch.from_numpy(data["fwd_xt"].astype(np.float64)), torch.from_numpy(data["fwd_t"]))
    out["fwd_out"] = y.numpy()

    x0 = torch.from_numpy(data["train_x0"].astype(np.float64))
    eps = torch.from_numpy(data["train_eps"].astype(np.float64))
    t = torch.from_numpy(data["train_t"])
    ab = torch.from_numpy(data["train_alphabar"].astype(np.float64))[:, None, None, None]
    w = torch.from_numpy(data["train_weight"].astype(np.float64))
    xt = torch.sqrt(ab) * x0 + torch.sqrt(1 - ab) * eps
    kind = argv[3]
    if kind == "eps":
        target = eps
    elif kind == "x0":
        target = x0
    elif kind == "v":
        target = torch.sqrt(ab) * eps - torch.sqrt(1 - ab) * x0
    else:
        raise SystemExit("unknown parameterization " + kind)
    mse = ((net(xt, t) - target) ** 2).flatten(1).mean(dim=1)
    loss = (w * mse).mean()
    loss.backward()
    out["train_loss"] = np.array(loss.item())
    for ref, p in net.params.tensors.items():
        out["grad/" + mapping[ref]] = p.grad.numpy()
    np.savez(argv[2], **out)


if __name__ == "__main__":
    main(sys.argv)
