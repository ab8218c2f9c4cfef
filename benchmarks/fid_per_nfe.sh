#!/usr/bin/env bash
# Quality per network evaluation (NFE) of every sampler on one trained model (docs/sampling.md): for each sampler
# and each NFE budget, draws N images with one seed and scores them with one extractor against one reference.
# Writes OUT/fid-per-nfe.csv (sampler,spacing,steps,nfe,fid,seconds), prints it, and plots it to
# OUT/fid-per-nfe.png (benchmarks/PlotFidPerNfe.java, with XChart from PLOT_CLASSPATH, default the built cli's lib).
#   benchmarks/fid_per_nfe.sh MODEL.onnx REFERENCE EXTRACTOR.onnx|builtin [OUT]
# REFERENCE is anything `./diffusion fid` takes as its second set: statistics (.npz, e.g. saved once with
# --save-stats-b), an image folder, or images (.npy); `builtin` scores with the built-in extractor
# (grayscale 28x28 and 32x32 images, docs/fid.md). From the environment: N (default 10000), SEED (0),
# NFES ("5 10 20 50"), SAMPLERS ("ddim euler heun dpmpp-2m ddpm"), SPACING (each sampler's default),
# DIFFUSION (the command, default ./diffusion). Heun's budget is met from below (2 steps - 1 evaluations).
# The seconds column is only a timing on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:?MODEL.onnx}" reference="${2:?REFERENCE}" extractor="${3:?EXTRACTOR.onnx}" out="${4:-out/fid-per-nfe}"
n="${N:-10000}" seed="${SEED:-0}" nfes="${NFES:-5 10 20 50}" samplers="${SAMPLERS:-ddim euler heun dpmpp-2m ddpm}"
read -r -a diffusion <<< "${DIFFUSION:-$root/diffusion}"
mkdir -p "$out"
csv="$out/fid-per-nfe.csv"
echo "sampler,spacing,steps,nfe,fid,seconds" > "$csv"
for sampler in $samplers; do
  for nfe in $nfes; do
    steps="$nfe"
    [ "$sampler" = heun ] && steps=$(( (nfe + 1) / 2 ))
    dir="$out/$sampler-$nfe"
    spacing=()
    [ -n "${SPACING:-}" ] && spacing=(--spacing "$SPACING")
    start=$(date +%s%N)
    log="$("${diffusion[@]}" sample "$model" --sampler "$sampler" --steps "$steps" "${spacing[@]}" --n "$n" \
        --seed "$seed" --out "$dir")"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    seconds="$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    # "dpmpp-2m (logsnr spacing): 20 steps, t = 999 .. 0, 20 network evaluations per image"
    grid="$(sed -n 's/^[a-z0-9-]* (\([a-z]*\) spacing): .*/\1/p' <<< "$log")"
    used="$(sed -n 's/.*, \([0-9]*\) network evaluations per image$/\1/p' <<< "$log")"
    with=(--extractor "$extractor")
    [ "$extractor" = builtin ] && with=()
    fid="$("${diffusion[@]}" fid "$dir/samples.npy" "$reference" "${with[@]}" | sed -n 's/^FID = //p')"
    echo "$sampler,$grid,$steps,$used,$fid,$seconds" >> "$csv"
  done
done
cat "$csv"
java -cp "${PLOT_CLASSPATH:-$root/cli/target/lib/*}" "$root/benchmarks/PlotFidPerNfe.java" "$out/fid-per-nfe.png" "$csv"
