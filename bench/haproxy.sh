#!/usr/bin/env bash
# Benchmark: `lbc check` (parse + every rule) against `haproxy -c` on the same generated config
# with thousands of backends, in one run. Prints both wall times (median and best of RUNS runs
# after a warm-up) and their ratio (target: lbc <= 1/10 of haproxy -c).
# usage: bench/haproxy.sh [BACKENDS] [RUNS]   (needs haproxy and python3; builds lbc in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
backends=${1:-5000}
runs=${2:-9}
cargo build --release --quiet
lbc=$PWD/target/release/lbc
command -v haproxy >/dev/null || { echo "haproxy is not installed (apt-get install haproxy)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_haproxy.py "$backends" > "$tmp/haproxy.cfg"

python3 - "$lbc" "$tmp/haproxy.cfg" "$runs" "$backends" <<'PY'
import os, sys
sys.path.insert(0, "bench")
from timing import walls
lbc, path, runs, backends = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
env = dict(os.environ, STATS_PASSWORD="bench-not-a-secret-1234")

lines = sum(1 for _ in open(path))
(l_med, l_min), (h_med, h_min) = walls(
    [lbc, "check", path], ["haproxy", "-c", "-q", "-f", path], runs, env
)
print(f"config: {lines} lines, {backends} backends x 4 servers, {2 * int(backends)} ACLs ({runs} runs each, median / best)")
print(f"  lbc check    {l_med:8.1f} ms / {l_min:8.1f} ms")
print(f"  haproxy -c   {h_med:8.1f} ms / {h_min:8.1f} ms")
print(f"  ratio lbc/haproxy: {l_med / h_med:.3f} (median), {l_min / h_min:.3f} (best); target <= 0.100")
PY
