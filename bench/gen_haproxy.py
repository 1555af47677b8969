#!/usr/bin/env python3
"""Generates an HAProxy configuration with N backends (and one frontend routing to all of them
by Host header and path), for bench/haproxy.sh. usage: bench/gen_haproxy.py N > haproxy.cfg"""
import sys

n = int(sys.argv[1])
out = sys.stdout
out.write("""global
    maxconn 100000
    nbthread 4
    log 127.0.0.1 local0

defaults
    mode http
    log global
    option httplog
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout check 2s

listen stats
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
    stats auth ops:"${STATS_PASSWORD}"

frontend www
    bind :80
    bind :443 ssl crt /etc/haproxy/certs alpn h2,http/1.1
""".replace(" ssl crt /etc/haproxy/certs", ""))
for i in range(n):
    out.write(f"    acl host_{i} hdr(host) -i app{i}.example.com\n")
    out.write(f"    acl path_{i} path_beg /svc{i}/\n")
for i in range(n):
    out.write(f"    use_backend be_{i} if host_{i} || path_{i}\n")
out.write("    default_backend be_0\n\n")
algos = ["roundrobin", "leastconn", "source", "static-rr", "uri", "first"]
for i in range(n):
    out.write(f"backend be_{i}\n")
    out.write(f"    balance {algos[i % len(algos)]}\n")
    out.write("    option httpchk GET /health\n")
    out.write("    http-check expect status 200\n")
    out.write("    default-server inter 2s rise 2 fall 3\n")
    for j in range(4):
        a, b = divmod(i * 4 + j, 250)
        out.write(f"    server s{j} 10.{a // 250 % 250}.{a % 250}.{b + 1}:8080 check weight {j + 1} maxconn 500{' backup' if j == 3 else ''}\n")
    out.write("\n")
