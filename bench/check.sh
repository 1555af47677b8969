#!/usr/bin/env bash
# Benchmark: `lbc check` (parse + every rule) against `nginx -t` on the same generated config,
# in one run, their runs alternating. Prints both wall times and their ratio (target: lbc <=
# 1/10 of nginx -t), then lbc's time per 10,000 lines from 50,000 to 500,000 lines (target:
# linear growth), and the same comparison for HAProxy (bench/haproxy.sh: `lbc check` against
# `haproxy -c`).
# usage: bench/check.sh [RUNS]     (needs nginx and python3; builds lbc in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
cargo build --release --quiet
lbc=$PWD/target/release/lbc
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx-full)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$lbc" "$tmp" "$runs" <<'PY'
import subprocess, sys
sys.path.insert(0, "bench")
from timing import wall, walls
lbc, tmp, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def gen(n):
    path = f"{tmp}/nginx-{n}.conf"
    with open(path, "w") as f:
        subprocess.run([sys.executable, "bench/gen_nginx.py", str(n)], stdout=f, check=True)
    return path, sum(1 for _ in open(path))

path, lines = gen(2200)
(l_med, l_min), (n_med, n_min) = walls(
    [lbc, "check", path], ["nginx", "-t", "-q", "-c", path, "-e", "/dev/null"], runs
)
print(f"config: {lines} lines, 2200 server + 2200 upstream blocks ({runs} runs each, median / best)")
print(f"  lbc check   {l_med:8.1f} ms / {l_min:8.1f} ms")
print(f"  nginx -t    {n_med:8.1f} ms / {n_min:8.1f} ms")
print(f"  ratio lbc/nginx: {l_med / n_med:.3f} (median), {l_min / n_min:.3f} (best); target <= 0.100")

print("growth (lbc check):")
base = None
for n in (2200, 4400, 8800, 22000):
    path, lines = gen(n)
    med, _ = wall([lbc, "check", path], runs)
    per = med / lines * 10000
    base = base or per
    print(f"  {lines:8d} lines  {med:8.1f} ms  {per:6.2f} ms per 10k lines  (x{per / base:.2f} of the smallest)")
PY

# The HAProxy case: thousands of backends, against `haproxy -c`.
echo
bash bench/haproxy.sh 5000 "$runs"
