#!/usr/bin/env bash
# Runs docs/spark.md's standalone-cluster commands as written: the blocks marked
# <!-- docs-test: ci .ci/spark-cluster.sh -->, in order, in one bash, from the repository's root (they start a
# Spark master and worker as separate JVMs on 127.0.0.1:7077 and submit the --quick grid). Needs the build
# (./diffusion makes it); the master and worker are stopped however the commands end.
set -euo pipefail
cd "$(dirname "$0")/.."
./diffusion --version > /dev/null   # builds the command line if needed
script="$(mktemp)"
python3 - docs/spark.md > "$script" <<'PY'
import sys
sys.path.insert(0, ".ci")
from md_to_sh import blocks
page = sys.argv[1]
with open(page, encoding="utf-8") as f:
    lines = f.readlines()
print("set -euo pipefail")
# Whatever happens, no master or worker is left behind (the last block stops them when all goes well).
print("trap 'kill ${worker:-} ${master:-} 2>/dev/null || true' EXIT")
count = 0
for line, lang, body, markers in blocks(lines):
    if lang in ("bash", "sh") and "ci .ci/spark-cluster.sh" in markers:
        print("echo '+ %s:%d'" % (page, line))
        print(body.rstrip("\n"))
        count += 1
if count < 2:
    sys.exit("%s: expected the cluster blocks marked 'ci .ci/spark-cluster.sh', found %d" % (page, count))
PY
rm -rf out/cluster out/compare-cluster
bash "$script"
rm -f "$script"
