#!/usr/bin/env bash
# The console's latency from a control change to the answer, for the
# baseline and each workshop step, as the page asks for it: first the
# headline (the run and its paired difference, `counterfactual: 0`), then
# the counterfactual ledger on its own (`counterfactual_only: true`), one
# request at a time. Prints a markdown table of the median and the 95th
# percentile (nearest rank) of each, in seconds.
#
#   benches/console_latency.sh [N]
#
# N (default 50) is the number of changes per scenario. Change i sets
# outreach.reps to 2 + i (the page's Reps control), so no two requests of a
# scenario are the same run. Before timing, each scenario is opened once as
# the page opens it, so its starting point is cached, as it is in a room.
# Drawing the answer adds a few milliseconds in the browser.
set -euo pipefail
export LC_ALL=C # decimal points for curl, sort, awk and printf
cd "$(dirname "$0")/.."
n="${1:-50}"
if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: benches/console_latency.sh [N]  (N: changes per scenario, default 50)" >&2
  exit 2
fi
cargo build --release --quiet
bin="$PWD/target/release/funnelsim"
work="$(mktemp -d)"
server=""
stop() {
  if [ -n "$server" ]; then
    kill "$server" 2> /dev/null || true
    wait "$server" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

# Port 0: the server picks a free port and prints its address.
"$bin" serve scenarios/baseline.toml scenarios/workshop --port 0 > "$work/out" 2> "$work/err" &
server=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://[0-9.:]*/' "$work/out" || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2> /dev/null || { cat "$work/err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the console did not start" >&2; exit 1; }

# The scenario ids, in the list's order (the baseline, then the steps).
mapfile -t ids < <(curl -sf "${url}api/scenarios" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
[ "${#ids[@]}" -gt 0 ] || { echo "no scenarios listed" >&2; exit 1; }
page="latency-$$"

# POSTs one run request; appends its time in seconds to FILE. Anything but
# a result (200) stops the measurement.
post() {
  local body="$1" file="$2" answer status seconds
  answer=$(curl -s -o "$work/answer" -w '%{http_code} %{time_total}' \
    -H 'Content-Type: application/json' -X POST "${url}api/run" -d "$body")
  read -r status seconds <<< "$answer"
  if [ "$status" != 200 ]; then
    echo "HTTP $status for $body:" >&2
    cat "$work/answer" >&2
    echo >&2
    exit 1
  fi
  echo "$seconds" >> "$file"
}

# "MEDIAN P95" of the numbers in FILE.
summary() {
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    r = int(0.95 * NR); if (r < 0.95 * NR) r++
    print m, v[r]
  }'
}

echo "| scenario | headline median | headline p95 | ledger median | ledger p95 |"
echo "| --- | --- | --- | --- | --- |"
for id in "${ids[@]}"; do
  # The page opens the step: its headline and ledger, unchanged (this also
  # caches the starting point).
  post "{\"scenario\":\"$id\",\"set\":[],\"page\":\"$page\",\"counterfactual\":0}" "$work/warm"
  post "{\"scenario\":\"$id\",\"set\":[],\"page\":\"$page\",\"counterfactual_only\":true}" "$work/warm"
  : > "$work/headline"
  : > "$work/ledger"
  for ((i = 0; i < n; i++)); do
    set_="[\"outreach.reps=$((2 + i % 98))\"]"
    post "{\"scenario\":\"$id\",\"set\":$set_,\"page\":\"$page\",\"counterfactual\":0}" "$work/headline"
    post "{\"scenario\":\"$id\",\"set\":$set_,\"page\":\"$page\",\"counterfactual_only\":true}" "$work/ledger"
  done
  read -r hm hp <<< "$(summary "$work/headline")"
  read -r lm lp <<< "$(summary "$work/ledger")"
  printf "| \`%s\` | %.2f s | %.2f s | %.2f s | %.2f s |\n" "$id" "$hm" "$hp" "$lm" "$lp"
done
echo
echo "$n changes per scenario, one request at a time; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || echo unknown)."
