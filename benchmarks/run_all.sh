#!/usr/bin/env bash
# Every benchmark in turn, output also kept in $PITH_BENCH_DIR/results-<UTC time>.txt.
# Usage: bash benchmarks/run_all.sh [python]   (default: the `python` on PATH, e.g. the venv's)
set -euo pipefail
cd "$(dirname "$0")"
python="${1:-python}"
out="${PITH_BENCH_DIR:-/tmp/pith-bench}/results-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p "$(dirname "$out")"
for script in bench_startup.py bench_lookup.py bench_app_lookup.py bench_bulk_verify.py \
    profile_bulk.py bench_fixes.py bench_big_cache.py bench_cache_screen.py bench_vs_recipe.py; do
    echo "=== $script ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out"
    "$python" "$script" 2>&1 | tee -a "$out"
done
echo "results in $out"
