#!/usr/bin/env bash
# L4 (TCP) proxy throughput on loopback: nginx `stream`, HAProxy `mode tcp` and `lbc serve` (on
# the very same nginx stream config) forward wrk's keep-alive HTTP connections to the same two
# nginx backends. Each proxy is pinned to one CPU (nginx 1 worker, HAProxy nbthread 1, lbc's
# tokio runtime sees one CPU); wrk runs on the other. Prints req/s, p99 latency, CPU time per
# request and RSS of each, and the ratios. On a shared machine req/s follows the neighbours' load;
# CPU per request is the steadier measure of the proxy's own cost.
# usage: bench/l4.sh [LBC_BINARY]   env: DUR (s, default 8), CONNS (default 64)
set -u
LBC=${1:-target/release/lbc}
DUR=${DUR:-8}; CONNS=${CONNS:-64}
W=$(mktemp -d)
MOD=/usr/lib/nginx/modules/ngx_stream_module.so
LOAD=""; [ -f $MOD ] && LOAD="load_module $MOD;"
cat >$W/backend.conf <<CONF
worker_processes 1; pid $W/backend.pid; error_log $W/backend.err; daemon on;
events { worker_connections 4096; }
http { access_log off;
  server { listen 127.0.0.1:19101; location / { return 200 "backend-a\n"; } }
  server { listen 127.0.0.1:19102; location / { return 200 "backend-b\n"; } } }
CONF
stream_conf() {
cat <<CONF
$LOAD
worker_processes 1; daemon on;
pid $W/$2.pid; error_log $W/$2.err;
events { worker_connections 4096; }
stream {
  upstream pool { server 127.0.0.1:19101; server 127.0.0.1:19102; }
  server { listen 127.0.0.1:$1; proxy_pass pool; }
}
CONF
}
stream_conf 18180 proxy >$W/proxy.conf
# lbc serve reads the same file (its own port; it warns about what it ignores).
stream_conf 18182 lbc | grep -v "^worker_processes 1; daemon on;" >$W/lbc.conf
cat >$W/haproxy.cfg <<CONF
global
    maxconn 4000
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen pool
    bind 127.0.0.1:18181
    balance roundrobin
    server a 127.0.0.1:19101
    server b 127.0.0.1:19102
CONF
nginx -c $W/backend.conf -p $W
taskset -c 0 nginx -c $W/proxy.conf -p $W
taskset -c 0 haproxy -D -p $W/haproxy.pid -f $W/haproxy.cfg
taskset -c 0 $LBC serve $W/lbc.conf >$W/lbc.log 2>&1 & LBC_PID=$!
sleep 1
worker_pid() { pgrep -P "$(cat $W/proxy.pid)" | head -1; }
rss() { ps -o rss= -p "$1" | tr -d ' '; }
# CPU time (user + system, all threads) of a process, in clock ticks.
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }
TICK=$(getconf CLK_TCK)
declare -A PID=([18180]=$(worker_pid) [18181]=$(cat $W/haproxy.pid) [18182]=$LBC_PID)
run() {
  local c0 c1 out
  c0=$(cpu ${PID[$1]})
  out=$(taskset -c 1 wrk -t1 -c$CONNS -d${DUR}s --latency http://127.0.0.1:$1/ 2>&1)
  c1=$(cpu ${PID[$1]})
  echo "$out" | awk -v c=$((c1 - c0)) -v t=$TICK -v d=$DUR \
    '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {printf "%s %s %.1f\n", r, p, c / t * 1e6 / (r * d)}'
}
declare -A R P U
for round in 1 2; do
  for port in 18180 18181 18182; do
    read -r r p u < <(run $port)
    R[$port]="${R[$port]:-} $r"; P[$port]="${P[$port]:-} $p"; U[$port]="${U[$port]:-} $u"
  done
done
best() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -1; }
low() { tr ' ' '\n' | grep -v '^$' | sort -g | head -1; }
N=$(echo ${R[18180]} | best); H=$(echo ${R[18181]} | best); L=$(echo ${R[18182]} | best)
NU=$(echo ${U[18180]} | low); HU=$(echo ${U[18181]} | low); LU=$(echo ${U[18182]} | low)
printf "%-8s %12s %16s %18s %9s\n" proxy "req/s(best)" "p99 (rounds)" "CPU us/req(rounds)" "RSS KiB"
printf "%-8s %12s %16s %18s %9s\n" nginx "$N" "${P[18180]}" "${U[18180]}" "$(rss ${PID[18180]})"
printf "%-8s %12s %16s %18s %9s\n" haproxy "$H" "${P[18181]}" "${U[18181]}" "$(rss ${PID[18181]})"
printf "%-8s %12s %16s %18s %9s\n" lbc "$L" "${P[18182]}" "${U[18182]}" "$(rss ${PID[18182]})"
awk -v n="$N" -v h="$H" -v l="$L" -v nu="$NU" -v hu="$HU" -v lu="$LU" 'BEGIN {
  printf "req/s ratios: lbc/nginx %.2f  lbc/haproxy %.2f\n", l/n, l/h
  printf "CPU per request ratios (lower is better): lbc/nginx %.2f  lbc/haproxy %.2f\n", lu/nu, lu/hu }'
kill $(cat $W/backend.pid) $(cat $W/proxy.pid) $(cat $W/haproxy.pid) $LBC_PID 2>/dev/null
sleep 0.5; rm -rf $W
