#!/usr/bin/env bash
# Alternating training-speed rounds on one machine (docs/benchmarks.md, table 8): per round, jdiffusion as
# the launcher runs it, then PyTorch (benchmarks/pytorch_unet.py) as installed, then PyTorch with the
# launcher's environment (glibc malloc and OpenMP settings). PyTorch runs with the OpenMP build of OpenBLAS
# when Debian's libopenblas0-openmp is installed (DESIGN.md: the fair reference; the pthread build that the
# alternatives system prefers oversubscribes the cores and slows PyTorch's training ~1.4x here).
# Prints one line per round with images/s, the ratios and peak RSS.
#   benchmarks/train_pairs.sh ARCH ROUNDS STEPS [THREADS]     e.g.  benchmarks/train_pairs.sh unet-s 4 3
# WARMUP=N (default 1) runs N untimed steps first on both sides; WARMUP=20 times the steady state a long
# training run sees, after the JVM's compiler has settled (docs/benchmarks.md).
# Run nothing else meanwhile: on 2 cores a second job distorts both sides (docs/benchmarks.md, table 2).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${1:?ARCH: unet-xs or unet-s}" rounds="${2:?ROUNDS}" steps="${3:?STEPS}" threads="${4:-2}"
warmup="${WARMUP:-1}"
python="${PYTHON:-/usr/bin/python3}"   # Debian's python3-torch
launcher_env=(MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736
  OMP_WAIT_POLICY=ACTIVE GOMP_SPINCOUNT=20000000 THP_MEM_ALLOC_ENABLE=0)
blas=/usr/lib/x86_64-linux-gnu/openblas-openmp
[ -f "$blas/libblas.so.3" ] && export LD_LIBRARY_PATH="$blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"$root/diffusion" --help > /dev/null   # build first, outside the timings

field() { sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p"; }
echo "arch=$arch threads=$threads steps=$steps warmup=$warmup batch=64"
echo "pytorch's BLAS: $("$python" "$root/benchmarks/pytorch_unet.py" --blas)"
echo "round time load jdiffusion pytorch pytorch+env jd/pt jd/pt+env rss_jd_GB rss_pt_GB rss_pte_GB"
for r in $(seq "$rounds"); do
  load="$(cut -d' ' -f1 /proc/loadavg)" start="$(date +%T)"
  jd="$(JDIFFUSION_THREADS="$threads" "$root/diffusion" bench train --arch "$arch" --batch 64 --steps "$steps" \
      --warmup "$warmup" 2>/dev/null | tail -1)"
  pt="$(env -u MALLOC_ARENA_MAX -u MALLOC_MMAP_THRESHOLD_ -u MALLOC_TRIM_THRESHOLD_ -u OMP_WAIT_POLICY \
      -u GOMP_SPINCOUNT -u THP_MEM_ALLOC_ENABLE "$python" \
      "$root/benchmarks/pytorch_unet.py" --arch "$arch" --batch 64 --steps "$steps" --warmup "$warmup" \
      --threads "$threads" 2>/dev/null | tail -1)"
  ptm="$(env "${launcher_env[@]}" "$python" "$root/benchmarks/pytorch_unet.py" --arch "$arch" --batch 64 \
      --steps "$steps" --warmup "$warmup" --threads "$threads" 2>/dev/null | tail -1)"
  a="$(field images_per_s <<< "$jd")" b="$(field images_per_s <<< "$pt")" c="$(field images_per_s <<< "$ptm")"
  ra="$(field peak_rss_bytes <<< "$jd")" rb="$(field peak_rss_bytes <<< "$pt")" rc="$(field peak_rss_bytes <<< "$ptm")"
  awk -v r="$r" -v t="$start" -v l="$load" -v a="$a" -v b="$b" -v c="$c" -v ra="$ra" -v rb="$rb" -v rc="$rc" \
    'BEGIN { printf "%s %s %s %s %s %s %.2f %.2f %.2f %.2f %.2f\n", r, t, l, a, b, c, a / b, a / c, ra / 1e9, rb / 1e9, rc / 1e9 }'
done
