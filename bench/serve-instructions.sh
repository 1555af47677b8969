#!/usr/bin/env bash
# User-space instructions per proxied request, lbc serve against real nginx, counted by
# callgrind (deterministic where wall-clock figures move ±5 % with the machine's neighbours).
# Both proxies run the same nginx configuration (one worker, an upstream of two nginx backends
# with keepalive 64) under valgrind; a client sends N requests over 64 keep-alive connections
# after a warm-up; only the measured requests are counted (callgrind's instrumentation is off
# until then). Prints instructions per request for each and the ratio.
#
# usage: bench/serve-instructions.sh [LBC_BINARY] [N]   (default target/release/lbc, 20000)
# env:   CG_KEEP=DIR keeps the profiles (DIR/nginx.cg, DIR/lbc.cg) for callgrind_annotate
set -u
LBC=${1:-target/release/lbc}
N=${2:-20000}
for tool in nginx valgrind callgrind_control callgrind_annotate python3 curl; do
  command -v $tool >/dev/null || { echo "bench/serve-instructions.sh: $tool is not installed" >&2; exit 2; }
done
[ -x "$LBC" ] || { echo "bench/serve-instructions.sh: no lbc binary at $LBC" >&2; exit 2; }
ulimit -n 20000 2>/dev/null || true

W=$(mktemp -d)
cleanup() {
  [ -s $W/backend.pid ] && kill "$(cat $W/backend.pid)" 2>/dev/null
  [ -n "${V:-}" ] && kill $V 2>/dev/null
  sleep 0.3; rm -rf "$W"
}
trap cleanup EXIT

read -r B1 B2 P _ < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
cat >$W/backend.conf <<CONF
worker_processes 1;
events { worker_connections 1024; }
http { access_log off;
  server { listen 127.0.0.1:$B1; location / { return 200 "backend-a\n"; } }
  server { listen 127.0.0.1:$B2; location / { return 200 "backend-b\n"; } } }
CONF
cat >$W/proxy.conf <<CONF
worker_processes 1;
events { worker_connections 1024; }
http { access_log off;
  upstream pool { server 127.0.0.1:$B1; server 127.0.0.1:$B2; keepalive 64; }
  server { listen 127.0.0.1:$P;
    location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
cat >$W/client.py <<'PY'
# N requests over C keep-alive connections, each sending its next request after its answer.
import selectors, socket, sys
port, n, c = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
sel = selectors.DefaultSelector()
sent = done = 0
for _ in range(c):
    s = socket.create_connection(("127.0.0.1", port)); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, [b""])
    if sent < n: s.send(req); sent += 1
while done < n:
    for key, _ in sel.select(10):
        s = key.fileobj; data = s.recv(65536)
        if not data: sys.exit("closed")
        buf = key.data[0] + data
        while True:
            i = buf.find(b"\r\n\r\n")
            if i < 0: break
            cl = 0
            for line in buf[:i].decode().split("\r\n")[1:]:
                k, v = line.split(":", 1)
                if k.lower() == "content-length": cl = int(v)
            if len(buf) < i + 4 + cl: break
            buf = buf[i + 4 + cl:]; done += 1
            if sent < n: s.send(req); sent += 1
        key.data[0] = buf
PY
nginx -p $W -c $W/backend.conf -g "daemon on; pid $W/backend.pid; error_log $W/backend.err;"

# count NAME COMMAND...: instructions per request of COMMAND serving the proxy config.
count() {
  local name=$1; shift
  rm -f $W/cg.out.*
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$W/cg.out.%p "$@" \
    >/dev/null 2>$W/valgrind.err &
  V=$!
  for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$P/ && break; sleep 0.3; done
  python3 $W/client.py $P 500 16
  callgrind_control -i on $V >/dev/null 2>&1
  python3 $W/client.py $P $N 64
  callgrind_control -i off $V >/dev/null 2>&1
  kill $V; wait $V 2>/dev/null; V=
  local total
  total=$(callgrind_annotate $W/cg.out.* 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  # CG_KEEP=DIR keeps each proxy's profile (DIR/NAME.cg) for callgrind_annotate.
  if [ -n "${CG_KEEP:-}" ]; then mkdir -p "$CG_KEEP"; cat $W/cg.out.* > "$CG_KEEP/$name.cg"; fi
  echo $((total / N))
}
NGINX=$(count nginx nginx -p $W -c $W/proxy.conf \
  -g "daemon off; master_process off; pid $W/nginx.pid; error_log $W/nginx.err;")
LBCI=$(count lbc "$LBC" serve $W/proxy.conf)
echo "instructions per proxied request (callgrind, $N requests, 64 keep-alive clients):"
echo "  nginx $(nginx -v 2>&1 | sed 's/.*\///')  $NGINX"
echo "  lbc serve     $LBCI"
awk -v a=$LBCI -v b=$NGINX 'BEGIN { printf "lbc/nginx: %.2f\n", a / b }'
