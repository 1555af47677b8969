#!/usr/bin/env bash
# lbc serve against real nginx and HAProxy on loopback, in one run: the same nginx proxy config for
# nginx and lbc serve (worker_processes N: nginx runs N worker processes, lbc N worker threads), the
# equivalent HAProxy config (nbthread N), the same two nginx backends. For each proxy: req/s and
# p99 latency under wrk (best of ROUNDS rounds, and their medians; proxies interleaved so background load hits all
# alike), RSS after the load, and the memory one idle keep-alive client connection costs (RSS
# before/after opening IDLE of them). Prints the figures and the ratios to nginx.
#
# Equal cores: with PIN=1 (the default when the machine has more CPUs than THREADS) each proxy
# runs on the same THREADS CPUs (0 .. THREADS-1) and wrk and the backends on the others, so
# every proxy has exactly THREADS cores to itself. PIN=0 lets the kernel place all of them on
# all CPUs (on a small machine the proxy then competes with wrk and the backends, and how the
# scheduler shares the cores varies with each process's sleep and wake pattern).
#
# usage: bench/serve.sh [LBC_BINARY]     (default target/release/lbc; build it with
#                                         cargo build --release)
# env:   THREADS (1) DUR (s, 8) CONNS (64) ROUNDS (2) IDLE (2000) WRK_THREADS (1) PIN (1)
set -u
LBC=${1:-target/release/lbc}
THREADS=${THREADS:-1}; DUR=${DUR:-8}; CONNS=${CONNS:-64}; ROUNDS=${ROUNDS:-2}
IDLE=${IDLE:-2000}; WRK_THREADS=${WRK_THREADS:-1}
CPUS=$(nproc)
if [ "${PIN:-1}" = 1 ] && [ "$CPUS" -gt "$THREADS" ] && command -v taskset >/dev/null; then
  PROXY_RUN="taskset -c 0-$((THREADS - 1))"; REST_RUN="taskset -c $THREADS-$((CPUS - 1))"
  LAYOUT="proxies on CPU 0-$((THREADS - 1)), wrk and backends on CPU $THREADS-$((CPUS - 1))"
else
  PROXY_RUN=""; REST_RUN=""; LAYOUT="all processes on all $CPUS CPUs"
fi
for tool in nginx haproxy wrk python3; do
  command -v $tool >/dev/null || { echo "bench/serve.sh: $tool is not installed" >&2; exit 2; }
done
[ -x "$LBC" ] || { echo "bench/serve.sh: no lbc binary at $LBC (cargo build --release)" >&2; exit 2; }
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

W=$(mktemp -d)
cleanup() {
  for f in backend nginx haproxy lbc; do
    [ -s $W/$f.pid ] && kill "$(cat $W/$f.pid)" 2>/dev/null
  done
  [ -n "${HOLD:-}" ] && kill $HOLD 2>/dev/null
  [ -s $W/idle.pid ] && kill "$(cat $W/idle.pid)" 2>/dev/null
  sleep 0.3; rm -rf "$W"
}
trap cleanup EXIT

# Six free loopback ports: two backends, three proxies, spare.
read -r B1 B2 PN PH PL _ < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)

cat >$W/backend.conf <<CONF
worker_processes 1;
events { worker_connections 8192; }
http { access_log off;
  server { listen 127.0.0.1:$B1; location / { return 200 "backend-a\n"; } }
  server { listen 127.0.0.1:$B2; location / { return 200 "backend-b\n"; } } }
CONF
# The proxy config nginx and lbc serve both run (only the port differs).
proxy_conf() {
  cat <<CONF
worker_processes $THREADS;
events { worker_connections 20000; }
http { access_log off;
  upstream pool { server 127.0.0.1:$B1; server 127.0.0.1:$B2; keepalive 64; }
  server { listen 127.0.0.1:$1;
    location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
}
proxy_conf $PN >$W/nginx.conf
proxy_conf $PL >$W/lbc.conf
cat >$W/haproxy.cfg <<CONF
global
    maxconn 8000
    nbthread $THREADS
    pidfile $W/haproxy.pid
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:$PH
    default_backend pool
backend pool
    balance roundrobin
    http-reuse always
    server a 127.0.0.1:$B1
    server b 127.0.0.1:$B2
CONF

# (Children inherit the CPU set: nginx's workers, HAProxy's daemon.)
$REST_RUN nginx -p $W -c $W/backend.conf -g "daemon on; pid $W/backend.pid; error_log $W/backend.err;"
$PROXY_RUN nginx -p $W -c $W/nginx.conf -g "daemon on; pid $W/nginx.pid; error_log $W/nginx.err; worker_rlimit_nofile 20000;"
$PROXY_RUN haproxy -D -f $W/haproxy.cfg
$PROXY_RUN "$LBC" serve $W/lbc.conf --pid-file $W/lbc.pid >$W/lbc.log 2>&1 &

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench/serve.sh: nothing listens on $1" >&2; cat $W/*.log $W/*.err >&2 2>/dev/null; exit 1
}
for p in $B1 $B2 $PN $PH $PL; do wait_port $p; done
for p in $PN $PH $PL; do
  [ "$(curl -s http://127.0.0.1:$p/)" = "" ] && { echo "bench/serve.sh: no answer on $p" >&2; exit 1; }
done

# The processes of a proxy: nginx's master and workers, HAProxy's and lbc's single process.
pids() {
  local main; main=$(cat $W/$1.pid)
  echo $main $(ps -o pid= --ppid $main)
}
# Resident KiB from smaps_rollup, which walks the page tables: VmRSS in /proc/PID/status is
# kept per CPU and may lag by megabytes, more than the idle connections' share.
rss_kb() {
  local total=0 p
  for p in $(pids $1); do
    total=$((total + $(awk '/^Rss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0)))
  done
  echo $total
}
# req/s and p99 in ms from one wrk run.
measure() {
  $REST_RUN wrk -t$WRK_THREADS -c$CONNS -d${DUR}s --latency http://127.0.0.1:$1/ 2>&1 | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = ms($2) } END { printf "%d %.3f\n", rps, p99 }'
}

declare -A PORT=([nginx]=$PN [haproxy]=$PH [lbc]=$PL) RPS P99 RSS IDLEKB ALL_RPS ALL_P99
NAMES="nginx haproxy lbc"
for n in $NAMES; do $REST_RUN wrk -t1 -c$CONNS -d1s http://127.0.0.1:${PORT[$n]}/ >/dev/null 2>&1; done
for round in $(seq $ROUNDS); do
  for n in $NAMES; do
    read -r rps p99 < <(measure ${PORT[$n]})
    echo "round $round  $n: $rps req/s, p99 $p99 ms" >&2
    ALL_RPS[$n]="${ALL_RPS[$n]:-} $rps"; ALL_P99[$n]="${ALL_P99[$n]:-} $p99"
    if [ -z "${RPS[$n]:-}" ] || [ "$rps" -gt "${RPS[$n]}" ]; then RPS[$n]=$rps; fi
    if [ -z "${P99[$n]:-}" ] || awk "BEGIN {exit !($p99 < ${P99[$n]})}"; then P99[$n]=$p99; fi
  done
done

# Idle keep-alive connections: each makes one request, then stays open.
cat >$W/idle.py <<'PY'
import os, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
# The script kills this process by its pid: killing the process substitution's shell would
# leave it holding the connections (and the script's output) for ten minutes.
with open(sys.argv[3], "w") as f:
    f.write(str(os.getpid()))
conns = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
    conns.append(s)
for s in conns:
    got = b""
    while b"\r\n\r\n" not in got or not got.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("closed by the proxy")
        got += chunk
print("ready", flush=True)
time.sleep(600)
PY
for n in $NAMES; do
  RSS[$n]=$(rss_kb $n)
  before=${RSS[$n]}
  exec {fd}< <($REST_RUN python3 $W/idle.py ${PORT[$n]} $IDLE $W/idle.pid; echo failed)
  HOLD=$!
  read -r -t 60 line <&$fd
  if [ "$line" != ready ]; then echo "bench/serve.sh: $n did not keep $IDLE connections" >&2; fi
  sleep 1
  after=$(rss_kb $n)
  kill "$(cat $W/idle.pid)" $HOLD 2>/dev/null; wait $HOLD 2>/dev/null; exec {fd}<&-; HOLD=
  rm -f $W/idle.pid
  IDLEKB[$n]=$(awk "BEGIN {printf \"%.2f\", ($after - $before) / $IDLE}")
  sleep 1
done

echo
echo "lbc serve vs nginx vs HAProxy: $THREADS worker(s) each, wrk -t$WRK_THREADS -c$CONNS -d${DUR}s, best of $ROUNDS, $IDLE idle connections, $LAYOUT"
printf "%-8s %10s %10s %10s %14s\n" proxy "req/s" "p99 ms" "RSS MiB" "KiB/idle conn"
for n in $NAMES; do
  printf "%-8s %10s %10s %10s %14s\n" $n ${RPS[$n]} ${P99[$n]} \
    $(awk "BEGIN {printf \"%.1f\", ${RSS[$n]} / 1024}") ${IDLEKB[$n]}
done
ratio() { awk "BEGIN { if ($2 == 0) print \"-\"; else printf \"%.2f\", $1 / $2 }"; }
for n in lbc haproxy; do
  echo "$n/nginx: req/s $(ratio ${RPS[$n]} ${RPS[nginx]})  p99 $(ratio ${P99[$n]} ${P99[nginx]})  RSS $(ratio ${RSS[$n]} ${RSS[nginx]})  idle conn $(ratio ${IDLEKB[$n]} ${IDLEKB[nginx]})"
done
# Best-of favours the proxy whose figures scatter most; the medians of the rounds and the median
# of the per-round ratios (each proxy against nginx in the same round) say the same more calmly.
if [ "$ROUNDS" -gt 1 ]; then
  median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {printf "%g", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
  ratios() { paste -d' ' <(echo $1 | tr ' ' '\n') <(echo $2 | tr ' ' '\n') | awk '$2 > 0 {printf "%.4f ", $1 / $2}'; }
  echo "median of $ROUNDS rounds:"
  for n in $NAMES; do
    echo "  $n: $(echo ${ALL_RPS[$n]} | median) req/s, p99 $(echo ${ALL_P99[$n]} | median) ms"
  done
  for n in lbc haproxy; do
    echo "  $n/nginx per round: req/s $(ratios "${ALL_RPS[$n]}" "${ALL_RPS[nginx]}" | median | xargs printf '%.2f')  p99 $(ratios "${ALL_P99[$n]}" "${ALL_P99[nginx]}" | median | xargs printf '%.2f')"
  done
fi
