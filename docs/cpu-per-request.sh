#!/usr/bin/env bash
# The simulator's CPU time per request at one connection (hey -c 1), from
# /proc/PID/stat, for GET /customers/{id} and POST /customers, twice each.
# Usage: [PROCS=n] docs/cpu-per-request.sh DRSIM_BINARY [requests] [serve flags…]
# PROCS sets the server's GOMAXPROCS (not hey's); unset, drsim's default
# (half the CPUs). e.g. PROCS=2 docs/cpu-per-request.sh ./drsim 15000
set -euo pipefail
bin=${1:?drsim binary}; n=${2:-15000}; shift $(( $# < 2 ? $# : 2 ))
H=${HEY:-/tmp/gobin/hey}
env ${PROCS:+GOMAXPROCS=$PROCS} $bin serve -mail=false -v=false -sim-addr 127.0.0.1:19091 "$@" >/tmp/cpu-per-request.log 2>&1 & dp=$!
trap 'kill $dp 2>/dev/null' EXIT
for i in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:19091/_sim/health && break; sleep 0.1; done
key=$(curl -sf -XPOST http://127.0.0.1:19091/_sim/accounts -d '{}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["secretKey"])')
cid=$(curl -sf -XPOST http://127.0.0.1:19091/customers -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"email":"a@example.com"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
cpu() { awk '{print $14+$15}' /proc/$dp/stat; }
tck=$(getconf CLK_TCK)
grep '^cpus' /tmp/cpu-per-request.log || true
for call in GET create GET create; do
  a=$(cpu)
  if [ $call = GET ]; then r=$($H -n $n -c 1 -H "Authorization: Bearer $key" http://127.0.0.1:19091/customers/$cid)
  else r=$($H -n $n -c 1 -m POST -T application/json -d '{"email":"b@example.com"}' -H "Authorization: Bearer $key" http://127.0.0.1:19091/customers); fi
  b=$(cpu)
  rps=$(echo "$r" | awk '/Requests\/sec/{printf "%.0f", $2}')
  printf '%-6s %6s req/s  server CPU %6.1f µs per request\n' $call "$rps" "$(python3 -c "print(($b-$a)/$tck/$n*1e6)")"
done
