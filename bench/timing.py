"""Wall-clock timing of commands for the benchmarks (bench/check.sh, bench/haproxy.sh)."""
import statistics
import subprocess
import sys
import time


def run(cmd, expect_ok=True, env=None):
    """One run of `cmd`, its wall time in ms; exits when it fails and `expect_ok`."""
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    ms = (time.perf_counter() - t) * 1000
    if expect_ok and r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited with {r.returncode}")
    return ms


def wall(cmd, runs, env=None):
    """Median and best wall time (ms) of `runs` runs, after one warm-up run."""
    run(cmd, False, env)
    times = [run(cmd, True, env) for _ in range(runs)]
    return statistics.median(times), min(times)


def walls(a, b, runs, env=None):
    """`wall` of two commands whose runs alternate, so that load from elsewhere on the machine
    falls on both alike (the ratio is what the targets are about)."""
    run(a, False, env), run(b, False, env)
    ta, tb = [], []
    for _ in range(runs):
        ta.append(run(a, True, env))
        tb.append(run(b, True, env))
    return (statistics.median(ta), min(ta)), (statistics.median(tb), min(tb))
