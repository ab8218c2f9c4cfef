"""The reference UNet of pytorch_unet.py timed in PyTorch eager inference: one network evaluation per
image (one sampler step), the counterpart of `./diffusion bench sample`. Prints one JSON line.

    python3 benchmarks/pytorch_sample.py --arch unet-xs --batch 64
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_unet import PRESETS, UNet, add_layout_option, blas_info, layout  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=sorted(PRESETS), default="unet-xs")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    add_layout_option(p)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = UNet(*PRESETS[args.arch]).eval()
    x = torch.randn(args.batch, 1, 32, 32)
    memory_format, memory_format_name = layout(args)
    model = model.to(memory_format=memory_format)
    x = x.contiguous(memory_format=memory_format)
    times = []
    with torch.no_grad():
        for step in range(args.warmup + args.steps):
            t = torch.randint(0, 1000, (args.batch,))
            start = time.perf_counter()
            model(x, t)
            if step >= args.warmup:
                times.append(time.perf_counter() - start)
    print(json.dumps({
        "framework": "pytorch " + torch.__version__ + " eager",
        "arch": args.arch,
        "batch": args.batch,
        "steps": args.steps,
        "threads": torch.get_num_threads(),
        "memory_format": memory_format_name,
        "params": sum(q.numel() for q in model.parameters()),
        "images_per_s": round(args.batch * len(times) / sum(times), 3),
        "step_ms_median": round(statistics.median(times) * 1000, 3),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "blas": blas_info(),
    }))


if __name__ == "__main__":
    main()
