#!/usr/bin/env bash
# Runs the fuzz targets one after another, each for FUZZ_SECONDS (default 600), on a stable
# toolchain (libFuzzer through cargo-fuzz, without a sanitizer) and on one core (FUZZ_CPU, default
# 0, where taskset exists). New inputs go to fuzz/corpus/TARGET (not committed); the committed
# seeds are fuzz/seeds/TARGET. A crash stops that target and leaves its input in
# fuzz/artifacts/TARGET/.
#
#   fuzz/run.sh                      every target
#   FUZZ_SECONDS=60 fuzz/run.sh load one target for a minute
set -euo pipefail
cd "$(dirname "$0")"
secs=${FUZZ_SECONDS:-600}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(load import_jsonl import_conll import_brat import_labelstudio import_doccano)
fi
pin=()
if command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c "${FUZZ_CPU:-0}")
fi
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t: ${secs}s"
  # The loader parses a file's documents on rayon's pool: two threads (sharing the one core), so
  # that a file is cut into pieces as on a real machine.
  RAYON_NUM_THREADS=2 "${pin[@]}" cargo fuzz run --sanitizer none "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -print_final_stats=1 || status=1
  # Each fuzzing process writes the importers' inputs to its own folder (src/lib.rs): remove
  # those of processes that have ended.
  for d in /dev/shm/spantag-fuzz-* "${TMPDIR:-/tmp}"/spantag-fuzz-*; do
    [ -d "$d" ] || continue
    kill -0 "${d##*-}" 2>/dev/null || rm -rf "$d"
  done
done
exit $status
