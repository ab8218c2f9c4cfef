#!/usr/bin/env bash
# Wall time of one comparison grid with the local engine and with Spark (docs/benchmarks.md, "The comparison
# grid: local engine against Spark"), in alternating pairs: pair 1 runs local then Spark, pair 2 Spark then
# local, and so on, so that a drift of the machine's speed falls on both engines alike. Every command starts
# from an empty output directory and both engines get the same --threads-per-run.
#   benchmarks/compare_engines.sh [--quick | CONFIG] [--pairs N] [--threads-per-run T] [--master URL] [--out DIR]
# Defaults: --pairs 3, --threads-per-run: the cores (the default of both engines), --master 'local[2]',
# --out out/engines. Prints each command's wall time, the median and range per engine, Spark's overhead in %
# of the local median, checks that every output's fid.csv is the same bytes (cmp; exit 1 if not), and the
# per-run seconds (training from each run's training.csv, scoring from its fid.csv), median over the pairs.
# Run nothing else meanwhile: on 2 cores a second job distorts both sides.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
grid=() pairs=3 threads="$(nproc)" master='local[2]' out=out/engines
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) grid=(--quick); shift ;;
    --pairs) pairs="${2:?--pairs N}"; shift 2 ;;
    --threads-per-run) threads="${2:?--threads-per-run T}"; shift 2 ;;
    --master) master="${2:?--master URL}"; shift 2 ;;
    --out) out="${2:?--out DIR}"; shift 2 ;;
    -*) echo "compare_engines.sh: unknown option $1" >&2; exit 2 ;;
    *) grid=("$1"); shift ;;
  esac
done
[ ${#grid[@]} -eq 1 ] || { echo "compare_engines.sh: give CONFIG or --quick" >&2; exit 2; }
"$root/diffusion" --help > /dev/null   # build first, outside the timings
mkdir -p "$out"
times="$out/times.csv"
echo "pair,engine,seconds" > "$times"
echo "grid=${grid[0]} pairs=$pairs threads-per-run=$threads spark-master=$master cores=$(nproc)"

timed() {   # timed PAIR ENGINE: runs one command into $out/ENGINE-PAIR, appends its wall time
  local dir="$out/$2-$1" engine=(--engine local)
  [ "$2" = spark ] && engine=(--engine spark --master "$master")
  rm -rf "$dir"
  local t0 t1
  t0="$(date +%s.%N)"
  "$root/diffusion" compare "${grid[@]}" "${engine[@]}" --threads-per-run "$threads" --out "$dir" \
    > "$dir.log" 2>&1 || { echo "$2 (pair $1) failed; see $dir.log" >&2; tail -5 "$dir.log" >&2; exit 1; }
  t1="$(date +%s.%N)"
  awk -v p="$1" -v e="$2" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s,%s,%.1f\n", p, e, b - a }' >> "$times"
  echo "pair $1: $2 $(tail -1 "$times" | cut -d, -f3) s (load $(cut -d' ' -f1 /proc/loadavg))"
}

for p in $(seq "$pairs"); do
  if [ $((p % 2)) -eq 1 ]; then timed "$p" local; timed "$p" spark; else timed "$p" spark; timed "$p" local; fi
done

same=yes
for p in $(seq "$pairs"); do
  for e in local spark; do
    cmp -s "$out/local-1/fid.csv" "$out/$e-$p/fid.csv" || { same=no; echo "fid.csv differs: $out/$e-$p"; }
  done
done

python3 - "$out" "$pairs" <<'PY'
import csv, glob, os, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
rows = list(csv.DictReader(open(os.path.join(out, "times.csv"))))
wall = {e: [float(r["seconds"]) for r in rows if r["engine"] == e] for e in ("local", "spark")}
for e, t in wall.items():
    print(f"{e}: median {statistics.median(t):.1f} s, range {min(t):.1f}-{max(t):.1f} s ({len(t)} commands)")
overhead = statistics.median(wall["spark"]) / statistics.median(wall["local"]) - 1
print(f"Spark's overhead: {100 * overhead:+.1f}% of the local engine's median")

def seconds(path, column):
    if not os.path.isfile(path):
        return 0.0
    return sum(float(r[column]) for r in csv.DictReader(open(path)))

per_run = {}   # run -> engine -> [(train, score)]
for e in ("local", "spark"):
    for p in range(1, pairs + 1):
        base = os.path.join(out, f"{e}-{p}", "runs")
        for d in sorted(glob.glob(os.path.join(base, "*", "*", "seed-*"))):
            run = os.path.relpath(d, base)
            t = seconds(os.path.join(d, "training.csv"), "seconds")
            s = seconds(os.path.join(d, "fid.csv"), "seconds")
            per_run.setdefault(run, {}).setdefault(e, []).append((t, s))
print("per run, median over the pairs (s): training, scoring (export + sampling + FID of every checkpoint), sum")
print(f"{'run':<40} {'local: train score sum':>24} {'spark: train score sum':>24}")
for run, by in per_run.items():
    cells = []
    for e in ("local", "spark"):
        v = by.get(e, [])
        if not v:
            cells.append("-")
            continue
        t = statistics.median(x[0] for x in v)
        s = statistics.median(x[1] for x in v)
        cells.append(f"{t:.1f} {s:.1f} {t + s:.1f}")
    print(f"{run:<40} {cells[0]:>24} {cells[1]:>24}")
PY
if [ "$same" = yes ]; then
  echo "fid.csv: the same bytes in all $((2 * pairs)) outputs"
else
  echo "fid.csv: the outputs differ (see above)"; exit 1
fi
