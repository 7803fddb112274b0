#!/usr/bin/env bash
# System calls per request of a drsim server at one connection, counted by
# strace (docs/performance.md, "System calls per request").
# Usage: docs/syscalls-per-request.sh DRSIM_BINARY [requests] [GET|create]
set -euo pipefail
bin=${1:?drsim binary}; n=${2:-5000}; call=${3:-create}
H=${HEY:-/tmp/gobin/hey}; port=19092
$bin serve -mail=false -v=false -sim-addr 127.0.0.1:$port >/tmp/syscalls-drsim.log 2>&1 & dp=$!
out=$(mktemp); trap 'kill $dp 2>/dev/null; rm -f "$out"' EXIT
for i in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:$port/_sim/health && break; sleep 0.1; done
key=$(curl -sf -XPOST http://127.0.0.1:$port/_sim/accounts -d '{}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["secretKey"])')
cid=$(curl -sf -XPOST http://127.0.0.1:$port/customers -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"email":"a@example.com"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
strace -c -f -p $dp -o "$out" 2>/dev/null & st=$!
sleep 0.5 # strace attaches to each thread; nothing signals when it has
if [ "$call" = GET ]; then
  $H -n $n -c 1 -H "Authorization: Bearer $key" http://127.0.0.1:$port/customers/$cid | grep 'Requests/sec'
else
  $H -n $n -c 1 -m POST -T application/json -d '{"email":"b@example.com"}' -H "Authorization: Bearer $key" http://127.0.0.1:$port/customers | grep 'Requests/sec'
fi
kill -INT $st; wait $st || true
# nanosleep is the runtime's idle spinning: it varies with the machine's load.
awk -v n=$n 'NR>2 && $NF!="total" && $4+0>0 {if ($4/n >= 0.01) printf "  %-14s %5.2f per request\n", $NF, $4/n; if ($NF!="nanosleep") t+=$4} END {printf "  all but nanosleep %5.2f per request\n", t/n}' "$out"
