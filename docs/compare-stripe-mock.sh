#!/usr/bin/env bash
# Side-by-side: drsim vs stripe-mock with the same load generator (hey), interleaved.
# Usage: docs/compare-stripe-mock.sh DRSIM_BINARY [reps]   (docs/performance.md: install hey and stripe-mock first)
set -euo pipefail
bin=${1:?drsim binary}; reps=${2:-3}
H=${HEY:-/tmp/gobin/hey}; SM=${STRIPE_MOCK:-/tmp/gobin/stripe-mock}
$bin serve -mail=false -v=false -sim-addr 127.0.0.1:19090 >/tmp/cmp-drsim.log 2>&1 & dp=$!
$SM -http-port 12111 >/tmp/cmp-sm.log 2>&1 & sp=$!
res=$(mktemp); trap 'kill $dp $sp 2>/dev/null; rm -f "$res"' EXIT
for i in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:19090/_sim/health && curl -s -o /dev/null http://127.0.0.1:12111/ && break; sleep 0.1; done
key=$(curl -sf -XPOST http://127.0.0.1:19090/_sim/accounts -d '{}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["secretKey"])')
cid=$(curl -sf -XPOST http://127.0.0.1:19090/customers -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"email":"a@example.com"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
summ() { python3 -c '
import sys,re
t=sys.stdin.read()
rps=re.search(r"Requests/sec:\s+([\d.]+)",t).group(1)
p99=re.search(r"99%+ in ([\d.]+) secs",t); slow=re.search(r"Slowest:\s+([\d.]+)",t)
codes=re.findall(r"\[(\d+)\]\s+(\d+) responses",t)
print(f"{float(rps):9.0f} req/s  p99 {float(p99.group(1))*1000:6.2f} ms  max {float(slow.group(1))*1000:7.2f} ms  codes {codes}")' | tee -a "$res"; }
N=20000
for c in 32 1; do
 for r in $(seq $reps); do
  n=$N; [ $c = 1 ] && n=15000
  echo -n "rep $r c$c drsim  GET    " | tee -a "$res"; $H -n $n -c $c -H "Authorization: Bearer $key" http://127.0.0.1:19090/customers/$cid | summ
  echo -n "rep $r c$c stripe GET    " | tee -a "$res"; $H -n $n -c $c -H "Authorization: Bearer sk_test_123" http://127.0.0.1:12111/v1/customers/cus_123 | summ
  echo -n "rep $r c$c drsim  create " | tee -a "$res"; $H -n $n -c $c -m POST -T application/json -d '{"email":"b@example.com"}' -H "Authorization: Bearer $key" http://127.0.0.1:19090/customers | summ
  echo -n "rep $r c$c stripe create " | tee -a "$res"; $H -n $n -c $c -m POST -T application/x-www-form-urlencoded -d 'email=b@example.com' -H "Authorization: Bearer sk_test_123" http://127.0.0.1:12111/v1/customers | summ
 done
done
# Summary: the median over the repetitions of each figure, and drsim's
# ratio to stripe-mock (req/s: higher is better; p99: lower is better).
python3 - "$res" <<'PY'
import re, statistics, sys
figs = {}
for line in open(sys.argv[1]):
    m = re.match(r"rep \d+ (c\d+) (\w+)\s+(\w+)\s+(\d+) req/s\s+p99\s+([\d.]+) ms", line)
    if m:
        c, who, call, rps, p99 = m.groups()
        figs.setdefault((c, call, who), []).append((float(rps), float(p99)))
print("summary (median of repetitions):")
for c in ("c32", "c1"):
    for call in ("GET", "create"):
        d, s = figs.get((c, call, "drsim")), figs.get((c, call, "stripe"))
        if not d or not s:
            continue
        dr, sr = statistics.median(x[0] for x in d), statistics.median(x[0] for x in s)
        dp, sp = statistics.median(x[1] for x in d), statistics.median(x[1] for x in s)
        print(f"  {c:>3} {call:<6} drsim {dr:7.0f} req/s p99 {dp:6.2f} ms | stripe-mock {sr:7.0f} req/s p99 {sp:6.2f} ms | throughput {dr/sr:.2f}x, p99 {dp/sp:.2f}x of stripe-mock's")
PY
