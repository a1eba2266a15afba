#!/bin/sh
# The one funnelsim command line of a sharded sweep, shared by every
# scheduler: Slurm (deploy/slurm/*.sbatch), Kubernetes (deploy/k8s/*.yaml)
# and a local xargs or GNU parallel. See docs/cluster.md.
#
#   shard.sh sweep [K N]   shard K of N (1-based) into $FUNNELSIM_PARTS/K;
#                          without K N: from a Slurm array task
#                          (SLURM_ARRAY_TASK_*) or a Kubernetes Indexed Job
#                          pod (JOB_COMPLETION_INDEX, 0-based, and
#                          FUNNELSIM_SHARDS)
#   shard.sh merge [N]     merge $FUNNELSIM_PARTS/1 … /N into $FUNNELSIM_OUT
#                          (N defaults to FUNNELSIM_SHARDS)
#   shard.sh unsharded     the same sweep in one process, into $FUNNELSIM_OUT
#
# Environment:
#   FUNNELSIM               the binary (default: funnelsim on PATH)
#   FUNNELSIM_SCENARIO      scenario file (required for sweep, unsharded)
#   FUNNELSIM_VARY          the --vary values, separated by spaces, e.g.
#                           "outreach.reps=2:4:1 handoff.threshold=40:100:20"
#   FUNNELSIM_REPLICATIONS  -n (default: the scenario's)
#   FUNNELSIM_SEED          --seed (default: the scenario's)
#   FUNNELSIM_ARGS          more sweep options, separated by spaces, e.g.
#                           "--objective revenue --set outreach.approach=scripted"
#   FUNNELSIM_SHARDS        number of shards (Kubernetes and merge)
#   FUNNELSIM_PARTS         directory holding the partial results PARTS/1 … PARTS/N
#   FUNNELSIM_OUT           the merged (or unsharded) result directory
#   FUNNELSIM_DRY_RUN=1     print the command instead of running it
#
# The command is printed on standard error ("shard.sh: funnelsim …") before
# it runs, so each job's log shows exactly what ran.
set -eu

die() {
  echo "shard.sh: $*" >&2
  exit 2
}

is_count() {
  case $1 in
    '' | *[!0-9]* | 0*) return 1 ;;
  esac
}

need() {
  eval "v=\${$1:-}"
  [ -n "$v" ] || die "$1 is not set ($2)"
}

run() {
  echo "shard.sh: $*" >&2
  if [ "${FUNNELSIM_DRY_RUN:-}" = 1 ]; then
    return 0
  fi
  exec "$@"
}

# The sweep's own arguments, identical for every shard and the unsharded run.
sweep_args() {
  need FUNNELSIM_SCENARIO "the scenario file"
  need FUNNELSIM_VARY "the --vary values, e.g. outreach.reps=2:4:1"
  set -f
  set -- sweep "$FUNNELSIM_SCENARIO"
  for v in $FUNNELSIM_VARY; do
    set -- "$@" --vary "$v"
  done
  if [ -n "${FUNNELSIM_REPLICATIONS:-}" ]; then
    set -- "$@" -n "$FUNNELSIM_REPLICATIONS"
  fi
  if [ -n "${FUNNELSIM_SEED:-}" ]; then
    set -- "$@" --seed "$FUNNELSIM_SEED"
  fi
  for a in ${FUNNELSIM_ARGS:-}; do
    set -- "$@" "$a"
  done
  set +f
  # Quote each argument for eval in the caller.
  SWEEP_ARGS=
  for a in "$@"; do
    SWEEP_ARGS="$SWEEP_ARGS '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
  done
}

bin=${FUNNELSIM:-funnelsim}
cmd=${1:-}
[ $# -gt 0 ] && shift

case $cmd in
  sweep)
    if [ $# -eq 2 ]; then
      k=$1 n=$2
    elif [ $# -ne 0 ]; then
      die "usage: shard.sh sweep [K N]"
    elif [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
      # Any contiguous array works (--array=1-4, --array=0-3): K counts from
      # its first index.
      n=${SLURM_ARRAY_TASK_COUNT:?} first=${SLURM_ARRAY_TASK_MIN:?} last=${SLURM_ARRAY_TASK_MAX:?}
      k=$((SLURM_ARRAY_TASK_ID - first + 1))
      [ $((last - first + 1)) -eq "$n" ] \
        || die "the Slurm array must be contiguous with step 1 (e.g. --array=1-$n)"
      if [ -n "${FUNNELSIM_SHARDS:-}" ] && [ "$FUNNELSIM_SHARDS" != "$n" ]; then
        die "FUNNELSIM_SHARDS=$FUNNELSIM_SHARDS but the array has $n tasks"
      fi
    elif [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
      need FUNNELSIM_SHARDS "the Job's completions"
      n=$FUNNELSIM_SHARDS
      is_count "$((JOB_COMPLETION_INDEX + 1))" || die "bad JOB_COMPLETION_INDEX=$JOB_COMPLETION_INDEX"
      k=$((JOB_COMPLETION_INDEX + 1))
    else
      die "not a Slurm array task nor a Kubernetes Indexed Job pod: give K N"
    fi
    is_count "$k" && is_count "$n" && [ "$k" -le "$n" ] || die "bad shard $k/$n"
    need FUNNELSIM_PARTS "the parts directory"
    sweep_args
    [ "${FUNNELSIM_DRY_RUN:-}" = 1 ] || mkdir -p "$FUNNELSIM_PARTS"
    eval "set -- $SWEEP_ARGS"
    run "$bin" "$@" --shard "$k/$n" --out "$FUNNELSIM_PARTS/$k"
    ;;
  merge)
    if [ $# -eq 1 ]; then
      n=$1
    elif [ $# -eq 0 ]; then
      need FUNNELSIM_SHARDS "the number of shards"
      n=$FUNNELSIM_SHARDS
    else
      die "usage: shard.sh merge [N]"
    fi
    is_count "$n" || die "bad number of shards '$n'"
    need FUNNELSIM_PARTS "the parts directory"
    need FUNNELSIM_OUT "the result directory"
    set -- merge
    k=1
    while [ "$k" -le "$n" ]; do
      set -- "$@" "$FUNNELSIM_PARTS/$k"
      k=$((k + 1))
    done
    run "$bin" "$@" --out "$FUNNELSIM_OUT"
    ;;
  unsharded)
    [ $# -eq 0 ] || die "usage: shard.sh unsharded"
    need FUNNELSIM_OUT "the result directory"
    sweep_args
    eval "set -- $SWEEP_ARGS"
    run "$bin" "$@" --out "$FUNNELSIM_OUT"
    ;;
  *)
    die "usage: shard.sh sweep [K N] | merge [N] | unsharded"
    ;;
esac
