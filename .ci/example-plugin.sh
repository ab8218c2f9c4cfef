#!/usr/bin/env bash
# The third-party plugin path, end to end. Run after `./mvnw -B install` has put the framework's
# artifacts (jdiffusion-bom, -core, -testkit, ...) into the local Maven repository:
#   1. build and test examples/sigmoid-weighter, a Maven project of its own, with its own wrapper;
#   2. drop its jar into a plugin directory; `./diffusion --plugins DIR plugins` lists it, with its origin;
#   3. `./diffusion --plugins DIR weights ...` computes its weights; with a large bias they are the vlb's;
#   4. the same directory through $JDIFFUSION_PLUGINS; a broken jar beside it is named and hides nothing;
#   5. docs/plugins.md as written: its shell blocks in order, its listings written to the files they name,
#      in a scratch home where ~/jdiffusion is this checkout (Maven still uses the real local repository).
# Maven options (e.g. -Dmaven.repo.local=...) pass through $MAVEN_ARGS, which Maven 3.9 reads.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
example="$root/examples/sigmoid-weighter"
jar="$example/target/acme-sigmoid-weighter-1.0.0.jar"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "example-plugin: FAILED: $*" >&2; exit 1; }

echo "== build and test the example plugin against the installed framework"
(cd "$example" && ./mvnw -B -ntp clean verify)
test -f "$jar" || fail "no $jar"

echo "== list it from a plugin directory"
mkdir "$work/plugins"
cp "$jar" "$work/plugins/"
./diffusion --plugins "$work/plugins" plugins > "$work/plugins.txt" || fail "plugins exited with $?"
cat "$work/plugins.txt"
grep -q '^  acme-sigmoid ' "$work/plugins.txt" || fail "acme-sigmoid not listed"
grep -q "source: $work/plugins/acme-sigmoid-weighter-1.0.0.jar (plugin directory)" "$work/plugins.txt" \
  || fail "acme-sigmoid's origin not shown"
grep -q 'acme-sigmoid-weighter-1.0.0.jar: weighter acme-sigmoid' "$work/plugins.txt" || fail "jar summary missing"

echo "== compute its weights"
out="$root/out/ci-plugin-weights"
./diffusion --plugins "$work/plugins" weights --schedule cosine --parameterization eps \
  --weighter acme-sigmoid:bias=2 --weighter acme-sigmoid:bias=60 --weighter vlb --out "$out"
header="$(head -1 "$out/weights.csv")"
test "$header" = "t,alphabar,snr,logsnr,acme-sigmoid:bias=2,acme-sigmoid:bias=60,vlb" || fail "header: $header"
test "$(wc -l < "$out/weights.csv")" -eq 1001 || fail "expected 1000 rows"
# Every weight finite and >= 0; bias=2 never above the ELBO weight; bias=60 is the ELBO weight (vlb).
awk -F, 'NR > 1 {
  for (i = 5; i <= 7; i++) if ($i !~ /^[0-9.eE+-]+$/ || $i < 0) { print "row " NR ": bad weight " $i; bad = 1 }
  if ($5 > $7 * (1 + 1e-12)) { print "row " NR ": bias=2 above vlb"; bad = 1 }
  d = $6 - $7; if (d < 0) d = -d; if (d > 1e-12 * $7) { print "row " NR ": bias=60 " $6 " != vlb " $7; bad = 1 }
} END { exit bad }' "$out/weights.csv" || fail "weights.csv check"
test -s "$out/weights.png" || fail "no plot"
sed -n '1p;2p;500p;1001p' "$out/weights.csv"

echo "== train a few steps with it (v-prediction, so its eps-space weight is converted)"
cat > "$work/train.yaml" <<'YAML'
schedule: {name: cosine, timesteps: 1000}
parameterization: {name: v}
weighter: {name: acme-sigmoid, bias: 2}
dataset: {name: synthetic, count: 64, size: 16}
model: {baseChannels: 32, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: []}
training: {steps: 6, batchSize: 8, checkpointEvery: 3}
YAML
./diffusion --plugins "$work/plugins" train "$work/train.yaml" --out "$work/run" | tail -3
test -s "$work/run/checkpoints/step-00000006.ckpt" || fail "no checkpoint after training with the plugin"
grep -Eq '"name" *: *"acme-sigmoid"' "$work/run/config.json" || fail "the resolved config does not name the plugin"

echo "== \$JDIFFUSION_PLUGINS, and a broken jar beside the good one"
JDIFFUSION_PLUGINS="$work/plugins" ./diffusion plugins | grep -q '^  acme-sigmoid ' || fail "JDIFFUSION_PLUGINS ignored"
echo "not a zip" > "$work/plugins/broken.jar"
set +e
./diffusion --plugins "$work/plugins" plugins > "$work/broken.txt" 2> "$work/broken.err"
rc=$?
set -e
test "$rc" -eq 1 || fail "plugins with a broken jar exited with $rc, expected 1"
grep -q "^  $work/plugins/broken.jar: not a valid jar (zip) file" "$work/broken.txt" || fail "broken jar not named"
grep -q '^  acme-sigmoid ' "$work/broken.txt" || fail "the broken jar hid acme-sigmoid"
grep -q '^  min-snr ' "$work/broken.txt" || fail "the broken jar hid the built-ins"
sed -n '/^failed to load/,$p' "$work/broken.txt"

echo "== docs/plugins.md, as written (.ci/md_to_sh.py turns the page into the script it describes)"
real_m2="${MAVEN_USER_HOME:-$HOME/.m2}"
mkdir "$work/home"
ln -s "$root" "$work/home/jdiffusion"
python3 .ci/md_to_sh.py docs/plugins.md > "$work/plugins-md.sh"
(
  export HOME="$work/home" MAVEN_USER_HOME="$real_m2" CI=true
  export MAVEN_ARGS="-Dmaven.repo.local=$real_m2/repository ${MAVEN_ARGS:-}"
  cd "$HOME" && bash "$work/plugins-md.sh"
) > "$work/plugins-md.log" 2>&1 || { tail -50 "$work/plugins-md.log"; fail "docs/plugins.md as written"; }
grep -q '^  acme-sigmoid ' "$work/plugins-md.log" || fail "docs/plugins.md: acme-sigmoid not listed"
test -s "$work/home/out/report.md" || fail "docs/plugins.md: no report of the run with the plugin"
grep -q 'exit status 1' "$work/plugins-md.log" || fail "docs/plugins.md: the broken jar did not make plugins exit with 1"
test "$(grep -c 'exit status 2' "$work/plugins-md.log")" -eq 2 || fail "docs/plugins.md: the two mistakes did not exit with 2"

echo "example-plugin: OK"
