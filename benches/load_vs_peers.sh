#!/usr/bin/env bash
# Benchmark: obharness's load engine against its raw engine (goose) and its peers (oha, wrk,
# locust), all driving the same nginx on loopback, one tool at a time; then a memory run of
# obharness over 2 million requests.
#
#   bash benches/load_vs_peers.sh
#
# nginx (1 worker, keep-alive, access_log off) serves a static ~500-byte balance answer
# ({"rsp_code":"A0000","rsp_message":"성공",...}) at GET /v2.0/account/balance/fin_num.
# Each tool drives it for BENCH_DURATION seconds with BENCH_USERS connections/users:
#   1. obharness load benches/load/nginx-balance.yaml (closed model; every answer's rsp_code
#      read and checked, every latency in an HDR histogram), numbers from its --json
#   2. raw goose: target/release/examples/raw_goose (examples/raw_goose.rs), goose's own
#      metrics on; then a second pass with them off (BENCH_RAW_NO_METRICS=0 skips it)
#   3. oha -c N -z Ds --no-tui, JSON output
#   4. wrk -t1 -cN -dDs --latency
#   5. locust FastHttpUser, headless, one process (one core: that is how locust runs
#      unless started with --processes), spawn rate = users, --csv and --json-file
# and prints req/s, p50, p99, the CPU each generator used, and the ratios against the goals
# (obharness >= 1.0x raw goose, >= 0.6x oha, >= 5x locust). Then it runs obharness for
# 2,000,000 requests (benches/load/nginx-balance-2m.yaml: max_requests, 600 s cap), sampling
# its RSS (VmRSS) every second, and reports the RSS at 5 s, at the end and the growth (goal
# < 50 MiB). It is a measurement, not a gate: it exits 0 whether the goals are met or not
# (non-zero only if it could not measure).
#
# Knobs (environment):
#   BENCH_DURATION=10  BENCH_USERS=64           seconds per tool; connections/users
#   BENCH_NGINX_PORT=18091                       loopback port
#   BENCH_RAW_NO_METRICS=1                       also run raw goose with its metrics off
#   BENCH_WORKERS="1 2"                          extra rows: obharness (TOKIO_WORKER_THREADS)
#                                                and raw goose (--workers, metrics on) with
#                                                that many tokio worker threads, for each
#                                                value (default: none; the main rows use
#                                                tokio's default, one worker per core)
#   BENCH_MEM_REQUESTS=2000000                   requests of the memory run (0 skips it)
#   BENCH_MEM_WARMUP=5                           the "after warm-up" RSS sample (seconds)
#   BENCH_SKIP_BUILD=1                           use target/release/obharness and
#                                                target/release/examples/raw_goose as they are
#   BENCH_BUILD_RETRIES=2                        retry a failed cargo build after 60 s (a tree
#                                                being edited may not compile for a minute)
#   BENCH_SKIP_INSTALL=1                         never install anything (apt, cargo, pip)
#   BENCH_LOCUST_VENV=/tmp/obh-bench-locust      where locust is installed when missing
#   BENCH_QUIET_WAIT=60                          before each run, wait up to this many seconds
#                                                until other processes use <= BENCH_QUIET_PCT
#                                                =10 % of a core
#   BENCH_NOISY_PCT=15                           flag a row NOISY when other processes used
#                                                more than this % of a core during its run
#   BENCH_KEEP=DIR                               keep every tool's raw output in DIR
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"

DURATION="${BENCH_DURATION:-10}"
USERS="${BENCH_USERS:-64}"
NGINX_PORT="${BENCH_NGINX_PORT:-18091}"
MEM_REQUESTS="${BENCH_MEM_REQUESTS:-2000000}"
MEM_WARMUP="${BENCH_MEM_WARMUP:-5}"
MEM_CAP=600 # seconds: the memory profile's duration, and the sampler's bound
RAW_NO_METRICS="${BENCH_RAW_NO_METRICS:-1}"
WORKERS="${BENCH_WORKERS:-}"
VENV="${BENCH_LOCUST_VENV:-/tmp/obh-bench-locust}"
NGX="http://127.0.0.1:${NGINX_PORT}"
API_PATH="/v2.0/account/balance/fin_num"
# The query obharness's request builder sends (peers send the same, with a fixed id).
QUERY="bank_tran_id=M202601315U000000001&fintech_use_num=120220000000000000000001&tran_dtime=20260301101010"
URL="$NGX$API_PATH?$QUERY"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'load_vs_peers: %s\n' "$*" >&2; exit 1; }

in_range() { [[ "$1" =~ ^[0-9]+$ ]] && (($1 >= $2 && $1 <= $3)); } # value min max
in_range "$DURATION" 1 600 || die "BENCH_DURATION: whole seconds, 1 to 600"
in_range "$USERS" 1 1000 || die "BENCH_USERS: 1 to 1000"
in_range "$MEM_REQUESTS" 0 20000000 || die "BENCH_MEM_REQUESTS: 0 to 20000000"
in_range "$MEM_WARMUP" 0 600 || die "BENCH_MEM_WARMUP: whole seconds"
for w in $WORKERS; do in_range "$w" 1 64 || die "BENCH_WORKERS: numbers 1 to 64"; done

# ---------------------------------------------------------------------------------------
# Processes and cleanup
# ---------------------------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/obh-peers.XXXXXX")"
NGINX_PID=""
BUILD_PID=""
TOOL_PID=""

alive() { # pid: running (an exited child stays a zombie until waited for; that is not alive)
  local st
  st="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)"
  [[ -n "$st" && "$st" != Z ]]
}
stop_pid() { # pid: TERM, wait up to 5 s, then KILL
  local pid="$1" i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  if [[ -n "$BUILD_PID" ]]; then # cargo (build or install), pip, and what they started
    pkill -TERM -P "$BUILD_PID" 2>/dev/null || true
    stop_pid "$BUILD_PID"
  fi
  stop_pid "$TOOL_PID"
  stop_pid "$NGINX_PID"
  if [[ -n "${BENCH_KEEP:-}" ]]; then
    if mkdir -p "$BENCH_KEEP"; then cp -r "$TMP"/out "$BENCH_KEEP/" 2>/dev/null || true; fi
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$TMP/out"

# Runs a command in the background and waits for it, so a signal stops it at once (see
# cleanup). bg_wait LOG CMD...: the command's output goes to LOG.
bg_wait() {
  local log="$1" rc=0
  shift
  "$@" >"$log" 2>&1 &
  BUILD_PID=$!
  wait "$BUILD_PID" || rc=$?
  BUILD_PID=""
  return "$rc"
}

# shellcheck disable=SC2317  # both run through bg_wait
install_locust() { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q locust; }
# shellcheck disable=SC2317
build_all() { cd "$ROOT" && cargo build --release --quiet && cargo build --release --quiet --example raw_goose; }

# ---------------------------------------------------------------------------------------
# 1. Tools and binaries (install times are reported, never measured as load)
# ---------------------------------------------------------------------------------------
INSTALL_NOTES=()
missing=()
for tool in wrk nginx curl jq python3; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! [[ -x "/usr/sbin/$tool" ]]; then
    missing+=("$tool")
  fi
done
if ((${#missing[@]} > 0)); then
  [[ "${BENCH_SKIP_INSTALL:-0}" == 1 ]] && die "missing tools: ${missing[*]}"
  say "installing wrk nginx curl jq python3 python3-venv (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  t0=$SECONDS
  apt-get update -qq >/dev/null
  apt-get install -y -qq wrk nginx curl jq python3 python3-venv >/dev/null
  INSTALL_NOTES+=("apt-get install: $((SECONDS - t0)) s")
fi
NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
OHA="$(command -v oha || true)"
[[ -n "$OHA" || ! -x "$CARGO_BIN/oha" ]] || OHA="$CARGO_BIN/oha"
if [[ -z "$OHA" ]]; then
  [[ "${BENCH_SKIP_INSTALL:-0}" == 1 ]] && die "oha is missing (cargo install oha --locked)"
  say "cargo install oha --locked (not timed as load; takes minutes on 2 cores)"
  t0=$SECONDS
  bg_wait "$TMP/out/oha-install.log" cargo install oha --locked ||
    { tail -n 20 "$TMP/out/oha-install.log" >&2; die "cargo install oha failed"; }
  INSTALL_NOTES+=("cargo install oha --locked: $((SECONDS - t0)) s")
  OHA="$CARGO_BIN/oha"
fi

LOCUST="$VENV/bin/locust"
if ! [[ -x "$LOCUST" ]]; then
  if command -v locust >/dev/null 2>&1; then
    LOCUST="$(command -v locust)"
  else
    [[ "${BENCH_SKIP_INSTALL:-0}" == 1 ]] && die "locust is missing (a venv at $VENV with pip install locust)"
    say "pip install locust (in a venv at $VENV)"
    t0=$SECONDS
    bg_wait "$TMP/out/locust-install.log" install_locust ||
      { tail -n 20 "$TMP/out/locust-install.log" >&2; die "installing locust failed"; }
    INSTALL_NOTES+=("pip install locust: $((SECONDS - t0)) s")
  fi
fi

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  tries=$((${BENCH_BUILD_RETRIES:-2} + 1))
  for ((i = 1; ; i++)); do
    say "cargo build --release; cargo build --release --example raw_goose (in $ROOT)"
    if bg_wait "$TMP/out/build.log" build_all; then
      break
    fi
    ((i < tries)) || { tail -n 30 "$TMP/out/build.log" >&2; die "cargo build --release failed"; }
    say "the build failed (a tree being edited?); retrying in 60 s ($i/$((tries - 1)))"
    sleep 60
  done
fi
OBH="$ROOT/target/release/obharness"
RAW="$ROOT/target/release/examples/raw_goose"
[[ -x "$OBH" ]] || die "no binary at $OBH"
[[ -x "$RAW" ]] || die "no binary at $RAW"

# Profiles: the committed ones, or copies for other knob values.
LOAD_DIR="$HERE/load"
if [[ "$DURATION" != 10 || "$USERS" != 64 || "$NGINX_PORT" != 18091 || "$MEM_REQUESTS" != 2000000 ]]; then
  mkdir -p "$TMP/load"
  for f in nginx-target.yaml nginx-balance.yaml nginx-balance-2m.yaml; do
    sed -e "s/18091/$NGINX_PORT/g" -e "s/users: 64/users: $USERS/" -e "s/duration: 10s/duration: ${DURATION}s/" \
      -e "s/max_requests: 2000000/max_requests: $MEM_REQUESTS/" "$HERE/load/$f" >"$TMP/load/$f"
  done
  grep -q "duration: ${DURATION}s" "$TMP/load/nginx-balance.yaml" || die "could not set the duration in the profile"
  LOAD_DIR="$TMP/load"
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
curl_() { curl --noproxy '*' -sS --max-time 10 "$@"; }

# ---------------------------------------------------------------------------------------
# 2. nginx: private config from benches/load/nginx.conf.in, static balance answer
# ---------------------------------------------------------------------------------------
start_nginx() {
  local i
  port_free "$NGINX_PORT" || die "port $NGINX_PORT is taken (set BENCH_NGINX_PORT)"
  mkdir -p "$TMP/nginx/tmp"
  chmod 755 "$TMP" "$TMP/nginx"
  cp "$HERE/load/balance.json" "$TMP/nginx/balance.json"
  chmod 644 "$TMP/nginx/balance.json"
  sed -e "s|@PREFIX@|$TMP/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@WORKERS@|1|g" \
    "$HERE/load/nginx.conf.in" >"$TMP/nginx/nginx.conf"
  "$NGINX_BIN" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' \
    >"$TMP/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
  for ((i = 0; i < 100; i++)); do
    if curl_ -o /dev/null -f "$URL" 2>/dev/null; then return 0; fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$TMP/nginx/stdout.log" "$TMP/nginx/error.log" >&2 2>/dev/null || true
  die "nginx did not come up on $NGX"
}

# ---------------------------------------------------------------------------------------
# CPU accounting (as in sim_vs_nginx.sh), in clock ticks: other = all busy CPU (user, nice,
# system, irq, softirq, steal) - nginx - the load generator (a waited-for child).
# ---------------------------------------------------------------------------------------
HZ="$(getconf CLK_TCK 2>/dev/null || echo 100)"
QUIET_PCT="${BENCH_QUIET_PCT:-10}"
NOISY_PCT="${BENCH_NOISY_PCT:-15}"
sys_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
pid_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
children_cpu() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
server_cpu() {
  local total=0 p
  [[ -n "$NGINX_PID" ]] || { echo 0; return; }
  total=$(pid_cpu "$NGINX_PID")
  for p in $(pgrep -P "$NGINX_PID" 2>/dev/null || true); do
    total=$((total + $(pid_cpu "$p")))
  done
  echo "$total"
}
wait_quiet() {
  local limit="${BENCH_QUIET_WAIT:-60}" waited=0 b0 s0 pct
  while :; do
    b0="$(sys_busy)"
    s0="$(server_cpu)"
    sleep 1
    pct=$((($(sys_busy) - b0 - ($(server_cpu) - s0)) * 100 / HZ))
    ((pct <= QUIET_PCT)) && return 0
    ((waited == 0)) && say "waiting for the machine to go quiet (other processes use ${pct}% of a core)"
    waited=$((waited + 1))
    if ((waited >= limit)); then
      say "WARNING: still busy after ${limit}s (${pct}% of a core); measuring anyway"
      return 0
    fi
  done
}

# run_tool NAME CMD...: waits for quiet, runs CMD (stdout+stderr to out/NAME.txt) in the
# background and waits for it; sets T_OTHER (% of a core used by other processes), T_GEN
# (the generator's CPU, % of a core), T_NGX (nginx's CPU, % of a core), T_GEN_TICKS, T_RC.
run_tool() {
  local name="$1" b0 s0 c0 t0 t1 s1 c1
  shift
  wait_quiet
  say "$name: $*"
  b0="$(sys_busy)"
  s0="$(server_cpu)"
  c0="$(children_cpu)"
  t0="$(date +%s%N)"
  "$@" >"$TMP/out/$name.txt" 2>&1 &
  TOOL_PID=$!
  T_RC=0
  wait "$TOOL_PID" || T_RC=$?
  TOOL_PID=""
  t1="$(date +%s%N)"
  s1="$(server_cpu)"
  c1="$(children_cpu)"
  T_GEN_TICKS=$((c1 - c0))
  T_GEN=$((T_GEN_TICKS * 100 * 1000000000 / HZ / (t1 - t0)))
  T_NGX=$(((s1 - s0) * 100 * 1000000000 / HZ / (t1 - t0)))
  T_OTHER=$((($(sys_busy) - b0 - (s1 - s0) - T_GEN_TICKS) * 100 * 1000000000 / HZ / (t1 - t0)))
  ((T_OTHER >= 0)) || T_OTHER=0
}

kv() { # line key -> value
  local v
  v="$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n1)"
  printf '%s' "${v:-0}"
}
# wrk's "1.18ms" / "850.00us" / "1.02s" -> µs
wrk_us() { awk -v x="$1" 'BEGIN { n = x + 0; u = x; sub(/^[0-9.]+/, "", u);
  f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : (u == "m") ? 60000000 : 0;
  printf "%.0f", n * f }'; }

# Per row, by name.
ROWS=()
declare -A DESC RPS P50 P99 REQ BAD GEN NGXC OTHER CPUREQ NOTE

record_row() { # name description rps p50_us p99_us requests bad note
  ROWS+=("$1")
  DESC[$1]="$2"
  RPS[$1]="$3"
  P50[$1]="$4"
  P99[$1]="$5"
  REQ[$1]="$6"
  BAD[$1]="$7"
  NOTE[$1]="$8"
  GEN[$1]="$T_GEN"
  NGXC[$1]="$T_NGX"
  OTHER[$1]="$T_OTHER"
  CPUREQ[$1]="$(awk -v t="$T_GEN_TICKS" -v hz="$HZ" -v n="$6" 'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "n/a" }')"
}

# ---------------------------------------------------------------------------------------
# 3. The tools, one at a time
# ---------------------------------------------------------------------------------------
measure_obharness() { # name [TOKIO_WORKER_THREADS]
  local name="$1" workers="${2:-}" json="$TMP/out/$1.json" desc="obharness load (rsp_code checked, HDR)"
  local envs=()
  if [[ -n "$workers" ]]; then
    envs=(TOKIO_WORKER_THREADS="$workers")
    desc="obharness load, $workers tokio worker(s)"
  fi
  run_tool "$name" env "${envs[@]}" "$OBH" load "$LOAD_DIR/nginx-balance.yaml" --json "$json"
  if ! [[ -s "$json" ]]; then
    tail -n 30 "$TMP/out/$name.txt" >&2
    die "obharness load wrote no JSON (exit $T_RC)"
  fi
  local n rate p50 p99 ok
  n="$(jq -r '.overall.count' "$json")"
  rate="$(jq -r '.overall.rate | . * 100 | round / 100' "$json")"
  p50="$(jq -r '.overall.p50_us' "$json")"
  p99="$(jq -r '.overall.p99_us' "$json")"
  ok="$(jq -r '.overall.rsp_codes.A0000 // 0' "$json")"
  record_row "$name" "$desc" "$rate" "$p50" "$p99" "$n" "$((n - ok))" \
    "A0000 $ok of $n; window $(jq -r '.duration_ms' "$json") ms; exit $T_RC"
}

measure_raw() { # name [--no-metrics | --workers N]
  local name="$1" line metrics=on desc
  shift
  [[ "${1:-}" == --no-metrics ]] && metrics=off
  desc="raw goose, goose metrics $metrics"
  [[ "${1:-}" == --workers ]] && desc="raw goose, $2 tokio worker(s)"
  run_tool "$name" "$RAW" --host "$NGX" --path "$API_PATH?$QUERY" --users "$USERS" --run-time "$DURATION" "$@"
  line="$(grep -m1 '^RAW_GOOSE ' "$TMP/out/$name.txt" || true)"
  [[ -n "$line" ]] || { tail -n 30 "$TMP/out/$name.txt" >&2; die "raw_goose printed no RAW_GOOSE line (exit $T_RC)"; }
  local p50="-" p99="-"
  if [[ "$metrics" == on ]]; then
    p50="$(kv "$line" goose_p50_us)"
    p99="$(kv "$line" goose_p99_us)"
  fi
  record_row "$name" "$desc" "$(kv "$line" rps)" "$p50" "$p99" \
    "$(kv "$line" requests)" "$(kv "$line" errors)" \
    "own counter over $(kv "$line" window_s) s; goose counted $(kv "$line" goose_requests) after its ramp"
}

measure_oha() {
  local name=oha out fmt=()
  # oha >= 1.5 writes JSON with --output-format json; older ones with -j.
  if "$OHA" --help 2>&1 | grep -q -- '--output-format'; then fmt=(--output-format json); else fmt=(-j); fi
  run_tool "$name" "$OHA" -c "$USERS" -z "${DURATION}s" --no-tui "${fmt[@]}" "$URL"
  out="$TMP/out/$name.txt"
  jq -e '.summary' "$out" >/dev/null 2>&1 || { tail -n 30 "$out" >&2; die "oha printed no JSON (exit $T_RC)"; }
  local n ok
  n="$(jq -r '[.statusCodeDistribution // {} | to_entries[].value] | add // 0' "$out")"
  ok="$(jq -r '.statusCodeDistribution["200"] // 0' "$out")"
  record_row "$name" "oha $("$OHA" --version | awk '{print $2}')" \
    "$(jq -r '.summary.requestsPerSec | . * 100 | round / 100' "$out")" \
    "$(jq -r '.latencyPercentiles.p50 * 1e6 | round' "$out")" \
    "$(jq -r '.latencyPercentiles.p99 * 1e6 | round' "$out")" \
    "$n" "$((n - ok))" "errors: $(jq -c '.errorDistribution // {}' "$out")"
}

measure_wrk() {
  local name=wrk out n non2xx sock
  run_tool "$name" wrk -t1 -c"$USERS" -d"${DURATION}s" --latency "$URL"
  out="$TMP/out/$name.txt"
  ((T_RC == 0)) || { cat "$out" >&2; die "wrk failed"; }
  n="$(awk '/requests in/ { print $1; exit }' "$out")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $NF; exit }' "$out")"
  sock="$(sed -n 's/.*Socket errors: *//p' "$out")"
  record_row "$name" "wrk -t1 $(wrk -v 2>&1 | head -n1 | awk '{print $2}')" \
    "$(awk '/^Requests\/sec:/ { print $2; exit }' "$out")" \
    "$(wrk_us "$(awk '$1 == "50%" { print $2; exit }' "$out")")" \
    "$(wrk_us "$(awk '$1 == "99%" { print $2; exit }' "$out")")" \
    "${n:-0}" "${non2xx:-0}" "${sock:+socket errors: $sock}"
}

measure_locust() {
  local name=locust csv="$TMP/out/locust" final="$TMP/out/locust-final.json" stats
  run_tool "$name" env OBH_BENCH_PATH="$API_PATH?$QUERY" "$LOCUST" -f "$HERE/load/locustfile.py" --headless \
    -u "$USERS" -r "$USERS" --run-time "${DURATION}s" --host "$NGX" --csv "$csv" --json-file "${final%.json}" \
    --only-summary --loglevel WARNING
  [[ -s "$final" ]] || { tail -n 30 "$TMP/out/$name.txt" >&2; die "locust wrote no final JSON (exit $T_RC)"; }
  # The numbers come from --json-file (the final stats): --csv's _stats.csv is rewritten once a
  # second while the run goes on, and its last version can miss the last second. Rate and
  # percentiles are computed as locust computes them (percentiles from its response times
  # rounded to ms).
  stats="$(python3 - "$final" <<'EOF'
import json, sys
n = bad = 0
times = {}
start = last = None
for e in json.load(open(sys.argv[1])):
    n += e["num_requests"]
    bad += e["num_failures"]
    for k, v in e["response_times"].items():
        times[float(k)] = times.get(float(k), 0) + v
    start = e["start_time"] if start is None else min(start, e["start_time"])
    last = max(last or 0, e["last_request_timestamp"] or 0)
def pct(p):
    want, seen = int(n * p), 0
    for t in sorted(times, reverse=True):
        seen += times[t]
        if n - seen <= want:
            return round(t * 1000)
    return 0
rps = n / (last - start) if n and last and last > start else 0
print(n, bad, round(rps, 2), pct(0.50), pct(0.99))
EOF
)"
  local n bad rps p50 p99
  read -r n bad rps p50 p99 <<<"$stats"
  record_row "$name" "locust $("$LOCUST" --version 2>&1 | awk '{print $2; exit}') FastHttpUser, 1 proc" \
    "$rps" "$p50" "$p99" "$n" "$bad" "final stats (--json-file); percentiles from times rounded to ms; exit $T_RC"
}

# The memory run: obharness over MEM_REQUESTS requests, RSS sampled every second.
MEM_LINE=""
measure_memory() {
  local json="$TMP/out/memory.json" samples="$TMP/out/memory-rss.txt" pid t=0 rss rc=0
  wait_quiet
  say "memory: obharness load $LOAD_DIR/nginx-balance-2m.yaml ($MEM_REQUESTS requests, RSS every second)"
  "$OBH" load "$LOAD_DIR/nginx-balance-2m.yaml" --json "$json" >"$TMP/out/memory.txt" 2>&1 &
  TOOL_PID=$!
  pid=$TOOL_PID
  : >"$samples"
  # Bounded: the profile caps the run at MEM_CAP s; the sampler gives up 60 s after that.
  while alive "$pid" && ((t <= MEM_CAP + 60)); do
    rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
    [[ -n "$rss" ]] && printf '%s %s\n' "$t" "$rss" >>"$samples"
    sleep 1
    t=$((t + 1))
  done
  alive "$pid" && { stop_pid "$pid"; die "the memory run did not end within $((MEM_CAP + 60)) s"; }
  wait "$pid" || rc=$?
  TOOL_PID=""
  [[ -s "$json" ]] || { tail -n 30 "$TMP/out/memory.txt" >&2; die "the memory run wrote no JSON (exit $rc)"; }
  local n ok secs warm end peak first
  n="$(jq -r '.overall.count' "$json")"
  ok="$(jq -r '.overall.rsp_codes.A0000 // 0' "$json")"
  secs="$(jq -r '.duration_ms / 1000' "$json")"
  first="$(awk '$1 <= 1 { v = $2 } END { print v + 0 }' "$samples")"
  warm="$(awk -v w="$MEM_WARMUP" '$1 <= w { v = $2 } END { print v + 0 }' "$samples")"
  end="$(awk 'END { print $2 + 0 }' "$samples")"
  peak="$(awk '$2 > m { m = $2 } END { print m + 0 }' "$samples")"
  MEM_GROWTH_KIB=$((end - warm))
  MEM_PEAK_GROWTH_KIB=$((peak - warm))
  MEM_N="$n"
  MEM_LINE="$(printf '%s requests (A0000 %s) in %s s, %s req/s; RSS %s MiB at 1 s, %s MiB at %s s, %s MiB peak, %s MiB at the end (last sample, %s s)' \
    "$n" "$ok" "$secs" "$(jq -r '.overall.rate | round' "$json")" "$(mib "$first")" "$(mib "$warm")" "$MEM_WARMUP" \
    "$(mib "$peak")" "$(mib "$end")" "$(awk 'END { print $1 }' "$samples")")"
  # At most about 60 points: every k-th sample, and the last one.
  MEM_CURVE="$(awk '{ t[NR] = $1; r[NR] = $2 } END { k = int((NR + 59) / 60); if (k < 1) k = 1;
    for (i = 1; i <= NR; i++) if ((i - 1) % k == 0 || i == NR) printf "%s%ss:%.0f", (i > 1 ? " " : ""), t[i], r[i] / 1024 }' "$samples")"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# ---------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------
say "machine: $(nproc) cores; $("$NGINX_BIN" -v 2>&1); obharness at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
start_nginx
probe="$(curl_ -s "$URL")"
[[ "$(jq -r .rsp_code <<<"$probe" 2>/dev/null)" == A0000 ]] || die "nginx answered: $probe"
say "nginx up: GET $API_PATH answers $(wc -c <<<"$probe") bytes with rsp_code A0000"

measure_obharness obharness
measure_raw raw-goose
[[ "$RAW_NO_METRICS" == 1 ]] && measure_raw raw-goose-nometrics --no-metrics
for w in $WORKERS; do
  measure_obharness "obharness-w$w" "$w"
  measure_raw "raw-goose-w$w" --workers "$w"
done
measure_oha
measure_wrk
measure_locust
if ((MEM_REQUESTS > 0)); then measure_memory; fi

# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ms() { if [[ "$1" =~ ^[0-9]+$ ]]; then awk -v us="$1" 'BEGIN { printf "%.2fms", us / 1000 }'; else echo "-"; fi; }

echo
echo "obharness load engine vs peers - $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, nginx 1 worker," \
  "GET $API_PATH (~$(wc -c <"$HERE/load/balance.json") B JSON), $USERS connections/users, ${DURATION} s each"
for n in "${INSTALL_NOTES[@]}"; do echo "(installed first, not measured: $n)"; done
echo
row() { printf '%-40s %10s %8s %8s %9s %6s %5s %7s %5s %6s\n' "$@"; }
row tool req/s p50 p99 requests bad gen-% µs/req ngx-% other%
row "$(printf '%.0s-' {1..40})" ---------- -------- -------- --------- ------ ----- ------- ----- ------
NOISY_ROWS=0
for r in "${ROWS[@]}"; do
  flag=""
  if ((OTHER[$r] > NOISY_PCT)); then
    flag="  NOISY"
    NOISY_ROWS=$((NOISY_ROWS + 1))
  fi
  row "${DESC[$r]}" "${RPS[$r]}" "$(ms "${P50[$r]}")" "$(ms "${P99[$r]}")" "${REQ[$r]}" "${BAD[$r]}" \
    "${GEN[$r]}" "${CPUREQ[$r]}" "${NGXC[$r]}" "${OTHER[$r]}$flag"
done
echo "(bad = answers not A0000 for obharness, non-200 for the others; gen-% = the load generator's"
echo " CPU in % of one core, µs/req = its CPU per request; ngx-% = nginx's CPU; other% = every other"
echo " process's, NOISY above ${NOISY_PCT}%: the machine was shared, rerun for trustworthy numbers)"
for r in "${ROWS[@]}"; do [[ -z "${NOTE[$r]}" ]] || echo "  ${DESC[$r]}: ${NOTE[$r]}"; done

echo
echo "Goals:"
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' && echo PASS || echo MISS; }
r_raw="$(ratio "${RPS[obharness]}" "${RPS[raw-goose]}")"
r_oha="$(ratio "${RPS[obharness]}" "${RPS[oha]}")"
r_loc="$(ratio "${RPS[obharness]}" "${RPS[locust]}")"
valid=""
((BAD[obharness] * 100 <= REQ[obharness])) || valid=" (obharness run INVALID: over 1% bad answers)"
printf '  %-52s %s%s\n' "obharness / raw goose (metrics on)  >= 1.0  (is ${r_raw}x)" "$(ge "$r_raw" 1.0)" "$valid"
printf '  %-52s %s%s\n' "obharness / oha                     >= 0.6  (is ${r_oha}x)" "$(ge "$r_oha" 0.6)" "$valid"
printf '  %-52s %s%s\n' "obharness / locust FastHttpUser     >= 5    (is ${r_loc}x)" "$(ge "$r_loc" 5)" "$valid"
if [[ -n "${RPS[raw-goose-nometrics]:-}" ]]; then
  echo "  (for information: obharness / raw goose with metrics off = $(ratio "${RPS[obharness]}" "${RPS[raw-goose-nometrics]}")x;" \
    "raw goose metrics cost $(awk -v on="${RPS[raw-goose]}" -v off="${RPS[raw-goose-nometrics]}" 'BEGIN { printf "%.1f", (off > 0 ? (1 - on / off) * 100 : 0) }')% of its rate)"
fi
for w in $WORKERS; do
  echo "  (for information: with $w tokio worker(s) each, obharness / raw goose = $(ratio "${RPS[obharness-w$w]}" "${RPS[raw-goose-w$w]}")x," \
    "obharness / oha = $(ratio "${RPS[obharness-w$w]}" "${RPS[oha]}")x, obharness / locust = $(ratio "${RPS[obharness-w$w]}" "${RPS[locust]}")x)"
done
if ((MEM_REQUESTS > 0)); then
  growth_mib="$(mib "$MEM_GROWTH_KIB")"
  printf '  %-52s %s\n' "memory: RSS growth over $MEM_N requests < 50 MiB (is $growth_mib MiB)" \
    "$(awk -v g="$MEM_GROWTH_KIB" 'BEGIN { exit !(g < 50 * 1024) }' && echo PASS || echo MISS)"
  echo "  memory run: $MEM_LINE; peak - warm-up = $(mib "$MEM_PEAK_GROWTH_KIB") MiB"
  echo "  RSS (MiB) by second: $MEM_CURVE"
fi
((NOISY_ROWS == 0)) || echo "  ($NOISY_ROWS NOISY row(s): other processes competed for the CPU; these verdicts are unreliable)"
echo
echo "(a measurement, not a gate: exit status 0 either way)"
exit 0
