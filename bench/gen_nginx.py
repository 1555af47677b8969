#!/usr/bin/env python3
# Adapted from shared/tools/gen_nginx.py: the benchmark input for bench/check.sh.
"""Write a large, valid nginx.conf: N virtual hosts, each with an upstream and several locations.
usage: gen_nginx.py N > big.conf"""
import sys
n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
out = ["worker_processes 2;", "worker_rlimit_nofile 65535;", "events { worker_connections 16384; }", "http {",
       "    access_log off;", "    limit_req_zone $binary_remote_addr zone=perip:10m rate=10r/s;"]
for i in range(n):
    out += [f"    upstream app{i} {{", "        least_conn;",
            f"        server 10.{i // 250 % 250}.{i % 250}.1:8080 weight=3 max_fails=2 fail_timeout=30s;",
            f"        server 10.{i // 250 % 250}.{i % 250}.2:8080 weight=1;",
            f"        server 10.{i // 250 % 250}.{i % 250}.3:8080 backup;", "        keepalive 32;", "    }",
            "    server {", f"        listen {10000 + i % 50000};", f"        server_name site{i}.example.com www.site{i}.example.com;",
            "        location / {", f"            proxy_pass http://app{i};", "            proxy_set_header Host $host;",
            "            proxy_set_header X-Real-IP $remote_addr;", "            limit_req zone=perip burst=20 nodelay;", "        }",
            "        location = /healthz { return 200 'ok'; }",
            "        location ~* \\.(gif|jpg|png|css|js)$ {", f"            root /srv/site{i}/static;", "            expires 1d;", "        }",
            "        location ^~ /static/ {", f"            alias /srv/site{i}/assets/;", "        }", "    }"]
out.append("}")
print("\n".join(out))
