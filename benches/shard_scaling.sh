#!/usr/bin/env bash
# Scaling of a sharded sweep: for 1, 2, 4 and 8 shards, the wall time and
# the CPU time (user + system, all shards and the merge) against the same
# sweep run whole, and whether the merged output is byte-identical.
#
#   benches/shard_scaling.sh [REPLICATIONS] [PARALLEL]
#
# REPLICATIONS (default 2000: about a minute of CPU) sets the sweep's size; PARALLEL (default: the
# number of cores) is how many shards run at once, each on one thread, as
# the tasks of a job array would on one node per task.
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-2000}"
parallel="${2:-$(nproc)}"
cargo build --release --quiet
bin="$PWD/target/release/funnelsim"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp scenarios/baseline.toml "$work/"
cd "$work"
sweep=(sweep baseline.toml --vary outreach.reps=1:4:1 --vary "outreach.approach=scripted,insight_led" -n "$reps")

# CPU seconds (user + system) of the children this shell waited for so far
# (`times` runs in this shell: in a command substitution it would report
# the subshell's children).
cpu_now() {
  times > "$work/times"
  cpu=$(tail -1 "$work/times" | awk '{ split($1, u, /m|s/); split($2, s, /m|s/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
}

start=$(date +%s.%N)
cpu_now; c0=$cpu
"$bin" "${sweep[@]}" -j "$parallel" --out whole > /dev/null 2>&1
whole_wall=$(echo "$(date +%s.%N) - $start" | bc)
cpu_now; whole_cpu=$(echo "$cpu - $c0" | bc)
printf 'whole:   %3s shards  wall %7.1f s  cpu %7.1f s\n' 1 "$whole_wall" "$whole_cpu"

for n in 1 2 4 8; do
  mkdir -p "parts-$n"
  start=$(date +%s.%N)
  cpu_now; c0=$cpu
  seq 1 "$n" | xargs -P "$parallel" -I{} "$bin" "${sweep[@]}" -j 1 --shard "{}/$n" --out "parts-$n/{}" 2> /dev/null
  cpu_now; shards_cpu=$(echo "$cpu - $c0" | bc)
  cpu_now; c1=$cpu
  "$bin" merge "parts-$n"/* --out "merged-$n" > /dev/null 2>&1
  cpu_now; merge_cpu=$(echo "$cpu - $c1" | bc)
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  same=$(diff -r whole "merged-$n" > /dev/null && echo identical || echo DIFFERENT)
  overhead=$(echo "scale=1; 100 * ($shards_cpu + $merge_cpu - $whole_cpu) / $whole_cpu" | bc)
  printf 'sharded: %3s shards  wall %7.1f s  cpu %7.1f s (shards) + %5.2f s (merge)  overhead %5s%%  %s\n' \
    "$n" "$wall" "$shards_cpu" "$merge_cpu" "$overhead" "$same"
done
