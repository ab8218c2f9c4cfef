#!/usr/bin/env python3
"""PyTorch reference of jdiffusion's benchmark UNets (docs/benchmarks.md; DESIGN.md "Reference networks").

Same network as dev.jdiffusion.trainer.unet.UNet: GroupNorm(min(32, C)), SiLU, sinusoidal timestep
embedding of the base width -> Linear -> SiLU -> Linear (4x base), projected into each residual block
after its first conv; single-head self-attention with 1x1 q/k/v/out convolutions; stride-2 3x3 conv
down; nearest x2 + 3x3 conv up; concatenated skips as in Ho et al. (2020); output GroupNorm, SiLU, 3x3 conv.

One training step is what the Java trainer (DiffusionTrainer) does: uniform t, Gaussian noise, x_t,
eps target, per-sample MSE times a per-sample weight, mean, backward, global gradient norm (clipped at
1), AdamW step, EMA of the weights (decay min(0.9999, (1 + k) / (10 + k))).

Prints one JSON line: images_per_s, step_ms_median, peak_rss_bytes, params, blas, threads, malloc.
    python3 benchmarks/pytorch_unet.py --arch unet-xs --batch 64 --steps 20 --warmup 3
"""
import argparse
import json
import math
import os
import re
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    # base, multipliers, residual blocks per resolution, attention resolutions
    "unet-xs": (32, (1, 2), 1, (16,)),
    "unet-s": (64, (1, 2, 2), 2, (8,)),
}


def group_norm(c):
    return nn.GroupNorm(min(32, c), c, eps=1e-5)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout)
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb_act):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(temb_act)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h


class AttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = group_norm(c)
        self.q = nn.Conv2d(c, c, 1)
        self.k = nn.Conv2d(c, c, 1)
        self.v = nn.Conv2d(c, c, 1)
        self.out = nn.Conv2d(c, c, 1)

    def forward(self, x):
        b, c, hh, ww = x.shape
        h = self.norm(x)
        q = self.q(h).reshape(b, c, hh * ww)
        k = self.k(h).reshape(b, c, hh * ww)
        v = self.v(h).reshape(b, c, hh * ww)
        a = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(c), dim=-1)  # (b, hw, hw)
        o = torch.bmm(v, a.transpose(1, 2)).reshape(b, c, hh, ww)
        return x + self.out(o)


def timestep_embedding(t, dim):
    """Sinusoidal embedding, [sin | cos] of t * 10000^(-i / (half - 1)) (Ho et al. 2020)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / (half - 1))
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class UNet(nn.Module):
    def __init__(self, base, mults, nres, attn_res, channels=1, size=32):
        super().__init__()
        self.base = base
        temb = 4 * base
        self.temb1 = nn.Linear(base, temb)
        self.temb2 = nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(channels, base, 3, padding=1)
        self.down = nn.ModuleList()
        skips = [base]
        cur, res = base, size
        for level, m in enumerate(mults):
            for _ in range(nres):
                blocks = [ResBlock(cur, base * m, temb)]
                cur = base * m
                if res in attn_res:
                    blocks.append(AttnBlock(cur))
                self.down.append(nn.ModuleList(blocks))
                skips.append(cur)
            if level != len(mults) - 1:
                self.down.append(nn.Conv2d(cur, cur, 3, stride=2, padding=1))
                skips.append(cur)
                res //= 2
        self.mid1 = ResBlock(cur, cur, temb)
        self.mid_attn = AttnBlock(cur)
        self.mid2 = ResBlock(cur, cur, temb)
        self.up = nn.ModuleList()
        for level, m in reversed(list(enumerate(mults))):
            for _ in range(nres + 1):
                blocks = [ResBlock(cur + skips.pop(), base * m, temb)]
                cur = base * m
                if res in attn_res:
                    blocks.append(AttnBlock(cur))
                self.up.append(nn.ModuleList(blocks))
            if level != 0:
                self.up.append(nn.Conv2d(cur, cur, 3, padding=1))  # after nearest x2
                res *= 2
        self.norm_out = group_norm(cur)
        self.conv_out = nn.Conv2d(cur, channels, 3, padding=1)

    def forward(self, x, t):
        temb = self.temb2(F.silu(self.temb1(timestep_embedding(t, self.base))))
        temb_act = F.silu(temb)
        h = self.conv_in(x)
        hs = [h]
        for m in self.down:
            if isinstance(m, nn.Conv2d):
                h = m(h)
            else:
                h = m[0](h, temb_act)
                for a in m[1:]:
                    h = a(h)
            hs.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, temb_act)), temb_act)
        for m in self.up:
            if isinstance(m, nn.Conv2d):
                h = m(F.interpolate(h, scale_factor=2.0, mode="nearest"))
            else:
                h = m[0](torch.cat([h, hs.pop()], dim=1), temb_act)
                for a in m[1:]:
                    h = a(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def blas_info():
    """BLAS_INFO from torch's build settings and the BLAS libraries actually mapped into this process."""
    cfg = torch.__config__.show()
    built = re.findall(r"BLAS_INFO=\w+", cfg)
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({l.split()[-1] for l in f if "blas" in l.lower() and "/" in l})
    except OSError:
        libs = []
    return "; ".join(built + ["loaded: " + ", ".join(libs)])


def add_layout_option(parser):
    """--channels-last: the model's weights and its inputs in PyTorch's channels-last memory format."""
    parser.add_argument("--channels-last", action="store_true",
                        help="weights and inputs in channels-last memory format (PyTorch's other CPU layout)")


def layout(args):
    """The memory format --channels-last asks for, and its name in the JSON line."""
    return (torch.channels_last, "channels_last") if args.channels_last else (torch.contiguous_format, "nchw")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=sorted(PRESETS), default="unet-xs")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--timesteps", type=int, default=1000)
    add_layout_option(p)
    p.add_argument("--blas", action="store_true", help="print the BLAS this process loaded and exit")
    p.add_argument("--profile", metavar="FILE",
                   help="also run one untimed step under torch.profiler and write its Chrome trace JSON")
    args = p.parse_args()
    if args.blas:
        torch.ones(2, 2) @ torch.ones(2, 2)  # loads the BLAS
        print(blas_info())
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    memory_format, memory_format_name = layout(args)
    model = UNet(*PRESETS[args.arch]).to(memory_format=memory_format)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=2e-4, weight_decay=0.0)
    betas = torch.linspace(1e-4, 0.02, args.timesteps, dtype=torch.float64)
    alphabar = torch.cumprod(1 - betas, 0)
    sqrt_ab = alphabar.sqrt().float()
    sqrt_1m = (1 - alphabar).sqrt().float()
    weight = torch.ones(args.timesteps)
    ema = [p.detach().clone() for p in model.parameters()]
    x0 = torch.rand(max(256, args.batch), 1, 32, 32) * 2 - 1  # random images in [-1, 1]
    times = []
    total = args.warmup + args.steps + (1 if args.profile else 0)
    for step in range(total):
        profiler = None
        if args.profile and step == total - 1:
            profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
            profiler.__enter__()
        start = time.perf_counter()
        idx = torch.randint(0, x0.shape[0], (args.batch,))
        x = x0[idx].contiguous(memory_format=memory_format)
        t = torch.randint(0, args.timesteps, (args.batch,))
        eps = torch.randn_like(x)
        xt = sqrt_ab[t][:, None, None, None] * x + sqrt_1m[t][:, None, None, None] * eps
        out = model(xt, t)
        mse = ((out - eps) ** 2).mean(dim=(1, 2, 3))
        loss = (mse * weight[t]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if not (math.isfinite(loss.item()) and math.isfinite(float(grad_norm))):
            raise SystemExit("non-finite loss or gradient at step %d" % step)
        opt.step()
        decay = min(0.9999, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema, model.parameters()):
                e.mul_(decay).add_(p, alpha=1 - decay)
        if profiler is not None:
            profiler.__exit__(None, None, None)
            profiler.export_chrome_trace(args.profile)
        elif step >= args.warmup:
            times.append(time.perf_counter() - start)
    med = statistics.median(times)
    print(json.dumps({
        "framework": "pytorch " + torch.__version__,
        "arch": args.arch,
        "batch": args.batch,
        "steps": args.steps,
        "threads": torch.get_num_threads(),
        "memory_format": memory_format_name,
        "params": params,
        "images_per_s": round(args.batch * len(times) / sum(times), 3),
        "step_ms_median": round(med * 1000, 3),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "blas": blas_info(),
        # glibc malloc settings from the environment: they move these figures by tens of percent
        "malloc": " ".join(sorted(k + "=" + v for k, v in os.environ.items() if k.startswith("MALLOC_") or k == "THP_MEM_ALLOC_ENABLE"))
                  or "glibc defaults",
    }))


if __name__ == "__main__":
    main()
