#!/usr/bin/env bash
# Spark's GPU discovery script for jdiffusion-spark. Prints this machine's NVIDIA GPUs as CUDA device indices in
# the JSON that Spark's resource scheduling reads, e.g. {"name": "gpu", "addresses": ["0", "1"]}. Point
# spark.executor.resource.gpu.discoveryScript at it (and, for a standalone worker,
# spark.worker.resource.gpu.discoveryScript); each task then trains on the GPU index Spark assigns it.
# The indices are nvidia-smi's, which are CUDA's when CUDA_VISIBLE_DEVICES is unset.
set -euo pipefail
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "discover-gpus.sh: nvidia-smi not found: this machine has no NVIDIA driver, so no GPU to offer" >&2
  exit 1
fi
indices="$(nvidia-smi --query-gpu=index --format=csv,noheader)"
printf '{"name": "gpu", "addresses": ['
sep=""
for index in $indices; do
  case "$index" in
    *[!0-9]*) echo "discover-gpus.sh: nvidia-smi reported '$index', not a device index" >&2; exit 1 ;;
  esac
  printf '%s"%s"' "$sep" "$index"
  sep=", "
done
printf ']}\n'
