#!/usr/bin/env bash
# Every run bench/RESULTS.md is written from, one after the other on a quiet machine, each run's
# raw output kept in bench/results/runs/ (JSON lines for `npm run bench`, whose tables
# bench/results-table.ts prints) and the generated tables in bench/results/.
#   bash bench/run-all.sh [--skip-browser]
# PyTorch (python3-torch with libopenblas0-pthread: without OpenBLAS, Debian's torch runs on the
# reference BLAS) and Debian's chromium must be installed. About 30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results/runs
mkdir -p "$out"
stamp() { date -u +%H:%M:%S; }
run() { # name, command...: the command's stdout to $out/name, its stderr (headers, progress) to $out/name.err
  local name=$1; shift
  echo "$(stamp) $name: $*" >&2
  "$@" > "$out/$name" 2> "$out/$name.err"
  echo "$(stamp) $name done (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
}
run peak.txt npm run --silent bench:peak
run plain.jsonl npm run --silent bench -- --json --torch
run relaxed.jsonl npm run --silent bench:relaxed -- --json --torch
run profile-mlp.txt node --expose-gc --import tsx bench/profile-step.ts mlp-train
run profile-lenet.txt node --expose-gc --import tsx bench/profile-step.ts lenet-train
run profile-mlp-relaxed.txt node --expose-gc --experimental-wasm-relaxed-simd --import tsx bench/profile-step.ts mlp-train
run profile-lenet-relaxed.txt node --expose-gc --experimental-wasm-relaxed-simd --import tsx bench/profile-step.ts lenet-train
run threads.txt npm run --silent bench:scaling -- --write bench/results/threads.md
run pair-ceiling.txt node --expose-gc --import tsx bench/pair-ceiling.ts
if [ "${1:-}" != "--skip-browser" ]; then run browser.txt npm run --silent bench:browser; fi
node --import tsx bench/results-table.ts "$out/plain.jsonl" "$out/relaxed.jsonl" > bench/results/single-thread.md
echo "$(stamp) all done: bench/results/single-thread.md, threads.md, browser.md; raw runs in $out" >&2
