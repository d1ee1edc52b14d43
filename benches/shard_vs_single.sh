#!/usr/bin/env bash
# Benchmark: one load test as 2 shards (`load --shard K/2 --start-at`, then `report merge`)
# against the same test as 1 process, both driving the same `obharness sim` on loopback.
#
#   bash benches/shard_vs_single.sh
#
# Each run starts a fresh simulator (1 worker), then
#   1. single: obharness load P --target T --json single.json (closed model, BENCH_USERS users,
#      BENCH_DURATION s, GET account.balance, every rsp_code checked)
#   2. sharded: the same profile as shards 1/2 and 2/2 (BENCH_USERS/2 users each), started
#      together with --start-at 4 s ahead, then report merge → merged.json
# and prints, per run, req/s and p99 of both, the ratio of throughput (merged / single) and of
# p99 (merged / single), and the CPU other processes used meanwhile ("other-%", % of one core).
# BENCH_RUNS runs (default 3), then min / median / max of each ratio. It first prints the
# conditions: date, cores, CPU, load average, other load, the binary and the commit.
# On a 2-core machine the 2 shards compete with each other and with the simulator for the
# same cores: this measures what sharding and merging cost, not what more machines give.
# A measurement, not a gate: exit 0 whatever the ratios (non-zero only if it could not measure).
#
# Knobs: BENCH_RUNS=3 BENCH_DURATION=10 BENCH_USERS=64 BENCH_SIM_PORT=18095
#        BENCH_SKIP_BUILD=1 (use target/release/obharness as it is)  BENCH_KEEP=DIR (keep JSONs)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${BENCH_RUNS:-3}"
DURATION="${BENCH_DURATION:-10}"
USERS="${BENCH_USERS:-64}"
PORT="${BENCH_SIM_PORT:-18095}"
BIN="$ROOT/target/release/obharness"

command -v jq >/dev/null || { echo "shard_vs_single: needs jq (apt-get install jq)" >&2; exit 2; }
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && cargo build --release --bin obharness >&2)
fi
[ -x "$BIN" ] || { echo "shard_vs_single: no $BIN" >&2; exit 2; }

WORK="$(mktemp -d)"
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  if [ -n "${BENCH_KEEP:-}" ]; then mkdir -p "$BENCH_KEEP" && cp -r "$WORK"/. "$BENCH_KEEP"/; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/t.yaml" <<YAML
name: bench simulator
kind: url
base_url: http://127.0.0.1:$PORT
admin_token_env: OBH_BENCH_ADMIN
YAML
cat >"$WORK/p.yaml" <<YAML
name: shard-bench
model: { kind: closed, users: $USERS, duration: ${DURATION}s }
mix:
  - { call: account.balance }
YAML
export OBH_BENCH_ADMIN=bench-admin

# user + nice + system: the time processes can be charged with. irq, softirq (at 60k req/s,
# loopback's packet processing) and steal are nobody's process time, so counting them made a
# quiet machine look busy ("other-%" near 100 with nothing else running).
busy_jiffies() { awk '/^cpu /{print $2+$3+$4}' /proc/stat; }
pid_jiffies() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU of finished children of this shell (jiffies), from bash's `times`.
children_jiffies() {
  times | tail -1 | awk -v hz="$(getconf CLK_TCK)" '{
    split($1,u,"m"); split($2,s,"m"); sub("s","",u[2]); sub("s","",s[2]);
    printf "%d\n", ((u[1]*60+u[2]) + (s[1]*60+s[2])) * hz }'
}

echo "obharness shards vs one process - $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); busiest other processes:"
ps -eo pcpu,comm --sort=-pcpu | sed -n '2,4p' | sed 's/^/   /'
echo "binary: $BIN (built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')), commit $(git -C "$ROOT" rev-parse --short HEAD) + $(git -C "$ROOT" status --porcelain | wc -l) uncommitted file(s)"
echo "profile: closed, $USERS users, ${DURATION}s, GET account.balance against obharness sim --workers 1 on 127.0.0.1:$PORT"
echo

start_sim() {
  "$BIN" sim --listen "127.0.0.1:$PORT" --admin-token "$OBH_BENCH_ADMIN" --no-operating-hours --workers 1 >"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 100); do
    curl -sf -H "X-Sim-Admin-Token: $OBH_BENCH_ADMIN" "http://127.0.0.1:$PORT/_sim/clock" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "shard_vs_single: the simulator did not start" >&2; exit 2
}
stop_sim() { kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""; }

# Runs "$@" (a pass) and prints other-% (CPU of processes other than the pass and the simulator).
measure() {
  local b0 c0 s0 t0 b1 c1 s1 t1
  b0=$(busy_jiffies); c0=$(children_jiffies); s0=$(pid_jiffies "$SIM_PID"); t0=$(date +%s.%N)
  "$@"
  b1=$(busy_jiffies); c1=$(children_jiffies); s1=$(pid_jiffies "$SIM_PID"); t1=$(date +%s.%N)
  awk -v b="$((b1 - b0))" -v c="$((c1 - c0))" -v s="$((s1 - s0))" -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { o = (b - c - s) / hz / (t1 - t0) * 100; if (o < 0) o = 0; printf "%.0f\n", o }'
}

single() { (cd "$WORK" && "$BIN" load p.yaml --target t.yaml --json single.json >single.log 2>&1); }
sharded() {
  local at
  at=$(date -u -d '+4 sec' +%Y-%m-%dT%H:%M:%SZ)
  (cd "$WORK" && for k in 1 2; do "$BIN" load p.yaml --target t.yaml --shard "$k/2" --start-at "$at" --json "s$k.json" >"s$k.log" 2>&1 & done; wait)
  (cd "$WORK" && "$BIN" report merge s1.json s2.json --json merged.json >merge.log 2>&1) || [ $? = 1 ]
}

printf '%-4s %12s %9s %12s %9s %8s %8s %8s %8s %6s\n' run "single r/s" "p99 ms" "2 shards r/s" "p99 ms" ratio "p99×" "skew ms" "other-%" ""
ratios=(); p99s=()
for run in $(seq "$RUNS"); do
  start_sim; o1=$(measure single); stop_sim
  start_sim; o2=$(measure sharded); stop_sim
  s_rate=$(jq '.overall.rate' "$WORK/single.json"); s_p99=$(jq '.overall.p99_us' "$WORK/single.json")
  m_rate=$(jq '.overall.rate' "$WORK/merged.json"); m_p99=$(jq '.overall.p99_us' "$WORK/merged.json")
  skew=$(jq '[.scale_out.merged.shards[].start_skew_ms] | max' "$WORK/merged.json")
  bad=$(jq '[.overall.errors] | add' "$WORK/single.json" "$WORK/merged.json" | paste -sd+ | bc)
  ratio=$(awk -v a="$m_rate" -v b="$s_rate" 'BEGIN{printf "%.3f", a/b}')
  p99r=$(awk -v a="$m_p99" -v b="$s_p99" 'BEGIN{printf "%.2f", a/b}')
  other=$(( o1 > o2 ? o1 : o2 ))
  note=""; [ "$other" -gt 15 ] && note="NOISY"; [ "$bad" != 0 ] && note="$note errors:$bad"
  printf '%-4s %12.0f %9.2f %12.0f %9.2f %8s %8s %8.1f %8s %6s\n' "$run" "$s_rate" "$(echo "$s_p99/1000" | bc -l)" \
    "$m_rate" "$(echo "$m_p99/1000" | bc -l)" "$ratio" "$p99r" "$skew" "$other" "$note"
  echo "OBH_RUN run=$run single_rate=$s_rate single_p99_us=$s_p99 merged_rate=$m_rate merged_p99_us=$m_p99 ratio=$ratio p99_ratio=$p99r other_pct=$other" >>"$WORK/runs.txt"
  ratios+=("$ratio"); p99s+=("$p99r")
  [ -n "${BENCH_KEEP:-}" ] && mkdir -p "$WORK/run$run" && cp "$WORK"/*.json "$WORK/run$run/"
done
echo
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "min %s / median %s / max %s", a[1], a[int((NR+1)/2)], a[NR]}'; }
echo "throughput, 2 shards / 1 process: $(stats "${ratios[@]}")"
echo "p99, merged / single:              $(stats "${p99s[@]}")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$WORK/runs.txt"
echo "(a measurement, not a gate: exit status 0 either way)"
