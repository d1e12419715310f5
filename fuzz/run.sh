#!/usr/bin/env bash
# Runs the fuzz targets one after another, each for FUZZ_SECONDS (default 600) on one core, on a
# stable toolchain (libFuzzer through cargo-fuzz, without a sanitizer). New inputs go to
# fuzz/corpus/TARGET (not committed); the committed seeds are fuzz/seeds/TARGET. A crash stops
# the run and leaves its input in fuzz/artifacts/TARGET/.
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
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t: ${secs}s"
  # One core: the loader parses large files on rayon's pool.
  RAYON_NUM_THREADS=1 cargo fuzz run --sanitizer none "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -print_final_stats=1
done
