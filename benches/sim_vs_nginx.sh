#!/usr/bin/env bash
# Benchmark: the obharness simulator against nginx serving a static file, on loopback.
#
#   bash benches/sim_vs_nginx.sh
#
# Measures, with wrk (1 thread, 64 connections, 10 s each, one run at a time):
#   a. nginx /static.json (500-byte JSON)          - the loopback HTTP ceiling
#   b. simulator GET  /v2.0/account/balance/fin_num - inquiry path
#   c. simulator POST /v2.0/transfer/withdraw/fin_num - money-moving path
# and prints req/s, p50, p99, non-A0000 answers and the ratio to nginx, then the goals
# (balance >= 0.7x nginx, withdraw >= 0.5x nginx, p99 <= 5 ms). It is a measurement, not a
# gate: it exits 0 whether the goals are met or not (non-zero only if it could not measure).
#
# Knobs (environment):
#   BENCH_DURATION=10s  BENCH_CONNECTIONS=64     wrk -d / -c (wrk always runs -t1)
#   BENCH_SIM_PORT=18080  BENCH_NGINX_PORT=18081 loopback ports
#   BENCH_RATE_PASS=auto|always|never            second pass without wrk's response()
#                                                callback: auto = only when the callback
#                                                costs > 10% on nginx
#   BENCH_NGINX_AUTO=1                           also measure nginx with worker_processes auto
#                                                (an extra, informational row)
#   BENCH_NGINX_ONLY=1                           measure nginx only (no build, no simulator)
#   BENCH_SKIP_BUILD=1                           use target/release/obharness as it is
#   BENCH_SKIP_INSTALL=1                         never call apt-get
#   BENCH_QUIET_WAIT=60                          before each wrk run, wait up to this many
#                                                seconds until other processes use <=
#                                                BENCH_QUIET_PCT=10 % of a core
#   BENCH_NOISY_PCT=15                           flag a row NOISY when other processes used
#                                                more than this % of a core during its run
#   BENCH_DEBUG=1                                print the raw CPU accounting
#   BENCH_KEEP=DIR                               keep wrk's raw outputs (and the simulator's
#                                                log) in DIR
#   BENCH_RUNS=3                                 whole runs (nginx, simulator, embedded), each
#                                                with a fresh nginx and simulator; the summary
#                                                gives min/median/max ratios and the goals as
#                                                "met in N of RUNS runs"
#   BENCH_MEM_WITHDRAWS=1000000                  after the last run's withdraw pass: more
#                                                withdraws (wrk passes of 5 s, at most 60) until
#                                                this many have been debited, then the
#                                                simulator's RSS growth; 0 skips it
#   BENCH_EMBEDDED=1                             also run `obharness load
#                                                scenarios/load/inquiry-mix.yaml` (simulator
#                                                and goose in one process, its own 10 s); 0 skips
#   BENCH_SIM_BIN=PATH                           measure this binary instead of
#                                                target/release/obharness (e.g. an older build)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
LUA="$HERE/lua"

DURATION="${BENCH_DURATION:-10s}"
CONNS="${BENCH_CONNECTIONS:-64}"
SIM_PORT="${BENCH_SIM_PORT:-18080}"
NGINX_PORT="${BENCH_NGINX_PORT:-18081}"
RATE_PASS="${BENCH_RATE_PASS:-auto}"
ADMIN_TOKEN="bench-admin"
SIM="http://127.0.0.1:${SIM_PORT}"
NGX="http://127.0.0.1:${NGINX_PORT}"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'sim_vs_nginx: %s\n' "$*" >&2; exit 1; }

case "$RATE_PASS" in auto | always | never) ;; *) die "BENCH_RATE_PASS must be auto, always or never" ;; esac

# ---------------------------------------------------------------------------------------
# Processes and cleanup
# ---------------------------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/obh-bench.XXXXXX")"
NGINX_PID=""
SIM_PID=""
BUILD_PID=""
WRK_PID=""
INNER_PID=""
LOAD_PID=""

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
  if [[ -n "$BUILD_PID" ]]; then # cargo and the rustc it started
    pkill -TERM -P "$BUILD_PID" 2>/dev/null || true
    stop_pid "$BUILD_PID"
  fi
  stop_pid "$INNER_PID"
  stop_pid "$LOAD_PID"
  stop_pid "$WRK_PID"
  stop_pid "$NGINX_PID"
  stop_pid "$SIM_PID"
  if [[ -n "${BENCH_KEEP:-}" && -f "$TMP/sim.log" ]]; then mkdir -p "$BENCH_KEEP" && cp "$TMP/sim.log" "$BENCH_KEEP/"; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------
# 1. Tools and the binary
# ---------------------------------------------------------------------------------------
missing=()
for tool in wrk nginx curl jq; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! [[ -x "/usr/sbin/$tool" ]]; then
    missing+=("$tool")
  fi
done
if ((${#missing[@]} > 0)); then
  [[ "${BENCH_SKIP_INSTALL:-0}" == 1 ]] && die "missing tools: ${missing[*]}"
  say "installing wrk nginx curl jq (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq wrk nginx curl jq >/dev/null
fi
NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"

NGINX_ONLY="${BENCH_NGINX_ONLY:-0}"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 && "$NGINX_ONLY" != 1 ]]; then
  say "cargo build --release (in $ROOT)"
  # In the background and waited for, so a signal stops the build at once (see cleanup).
  (cd "$ROOT" && exec cargo build --release --quiet) &
  BUILD_PID=$!
  wait "$BUILD_PID" || die "cargo build --release failed"
  BUILD_PID=""
fi
SIM_BIN="${BENCH_SIM_BIN:-$ROOT/target/release/obharness}"
[[ "$NGINX_ONLY" == 1 || -x "$SIM_BIN" ]] || die "no binary at $SIM_BIN"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

curl_() { curl --noproxy '*' -sS --max-time 10 "$@"; }

# ---------------------------------------------------------------------------------------
# 2. nginx, private config, static 500-byte JSON
# ---------------------------------------------------------------------------------------
start_nginx() { # workers ("1" or "auto")
  local workers="$1" i
  port_free "$NGINX_PORT" || die "port $NGINX_PORT is taken (set BENCH_NGINX_PORT)"
  mkdir -p "$TMP/nginx/html" "$TMP/nginx/tmp"
  chmod 755 "$TMP" "$TMP/nginx" "$TMP/nginx/html"
  cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes $workers;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $TMP/nginx/tmp/body;
  proxy_temp_path $TMP/nginx/tmp/proxy;
  fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
  uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
  scgi_temp_path $TMP/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $TMP/nginx/html;
    location = /static.json { default_type application/json; }
    # The balance path, any query: the same file. With balance.lua, wrk builds every request
    # in Lua as it does against the simulator, so this row is wrk's own ceiling there.
    location = /v2.0/account/balance/fin_num { default_type application/json; alias $TMP/nginx/html/static.json; }
  }
}
EOF
  "$NGINX_BIN" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' \
    >"$TMP/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
  for ((i = 0; i < 100; i++)); do
    if curl_ -o /dev/null -f "$NGX/static.json" 2>/dev/null; then return 0; fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$TMP/nginx/stdout.log" "$TMP/nginx/error.log" >&2 2>/dev/null || true
  die "nginx did not come up on $NGX"
}

# A 500-byte JSON document (padded to the byte).
make_static_json() {
  local head='{"rsp_code":"A0000","rsp_message":"","api_tran_id":"bench-static","pad":"'
  local tail='"}'
  local n=$((500 - ${#head} - ${#tail}))
  printf '%s%s%s' "$head" "$(printf 'x%.0s' $(seq 1 "$n"))" "$tail" >"$TMP/nginx/html/static.json"
  chmod 644 "$TMP/nginx/html/static.json"
  [[ "$(wc -c <"$TMP/nginx/html/static.json")" -eq 500 ]] || die "static.json is not 500 bytes"
  jq -e . "$TMP/nginx/html/static.json" >/dev/null || die "static.json is not JSON"
}

# ---------------------------------------------------------------------------------------
# wrk runs, always one at a time. run_wrk LABEL SCRIPT CHECK URL [ENV=VAL...]
# Sets R_* from wrk's Requests/sec line and the script's OBH_RESULT line.
# ---------------------------------------------------------------------------------------
kv() { # line key -> value
  local v
  v="$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n1)"
  printf '%s' "${v:-0}"
}

# CPU accounting, in clock ticks, to tell whether something else (a build, a test run, the
# hypervisor's steal) used the machine during a measurement: other = all busy CPU (user,
# nice, system, irq, softirq, steal) - our servers - wrk. The (soft)irq columns belong in
# "all busy" because the loopback traffic's softirq work is also charged to the processes
# (checked: about 0 on a quiet machine, about 75 with one spinning process competing).
HZ="$(getconf CLK_TCK 2>/dev/null || echo 100)"
QUIET_PCT="${BENCH_QUIET_PCT:-10}"
NOISY_PCT="${BENCH_NOISY_PCT:-15}"
sys_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
pid_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
children_cpu() { awk '{ print $16 + $17 }' "/proc/$$/stat"; } # waited-for children (wrk)
server_cpu() {
  local total=0 p
  for p in $NGINX_PID $SIM_PID; do
    total=$((total + $(pid_cpu "$p")))
  done
  if [[ -n "$NGINX_PID" ]]; then
    for p in $(pgrep -P "$NGINX_PID" 2>/dev/null || true); do
      total=$((total + $(pid_cpu "$p")))
    done
  fi
  echo "$total"
}
# Waits (BENCH_QUIET_WAIT s at most, default 60) until other processes use <= QUIET_PCT% of
# one core over a 1 s sample, so a build in another terminal does not skew the numbers.
wait_quiet() {
  local limit="${BENCH_QUIET_WAIT:-60}" waited=0 b0 s0 pct
  ((${NO_QUIET_WAIT:-0})) && return 0
  while :; do
    b0="$(sys_busy)"
    s0="$(server_cpu)"
    sleep 1
    pct=$((($(sys_busy) - b0 - ($(server_cpu) - s0)) * 100 / HZ))
    QUIET_SEEN="$pct"
    ((pct <= QUIET_PCT)) && return 0
    ((waited == 0)) && say "waiting for the machine to go quiet (other processes use ${pct}% of a core)"
    waited=$((waited + 1))
    if ((waited >= limit)); then
      say "WARNING: still busy after ${limit}s (${pct}% of a core); measuring anyway"
      return 0
    fi
  done
}

run_wrk() {
  local label="$1" script="$2" check="$3" url="$4"
  shift 4
  local out="$TMP/wrk-${label}-check${check}.txt" line rps b0 s0 c0 t0 t1 other
  wait_quiet
  R_BEFORE="$QUIET_SEEN"
  say "wrk -t1 -c$CONNS -d$DURATION --latency  [$label, response() check $([[ $check == 1 ]] && echo on || echo off)]"
  b0="$(sys_busy)"
  s0="$(server_cpu)"
  c0="$(children_cpu)"
  t0="$(date +%s%N)"
  # In the background and waited for, so a signal is handled at once (wrk is a child of this
  # shell either way, so its CPU time lands in children_cpu).
  env OBH_LABEL="$label" OBH_CHECK="$check" "$@" \
    wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$LUA/$script" "$url" >"$out" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || { cat "$out" >&2; die "wrk failed for $label"; }
  WRK_PID=""
  t1="$(date +%s%N)"
  other=$(($(sys_busy) - b0 - ($(server_cpu) - s0) - ($(children_cpu) - c0)))
  # % of one core used by other processes during the run
  R_OTHER=$((other * 100 * 1000000000 / HZ / (t1 - t0)))
  [[ -n "${BENCH_DEBUG:-}" ]] && say "other CPU raw: $R_OTHER% (ticks $other)"
  ((R_OTHER >= 0)) || R_OTHER=0
  line="$(grep -m1 '^OBH_RESULT ' "$out" || true)"
  [[ -n "$line" ]] || { cat "$out" >&2; die "no OBH_RESULT line from $script ($label)"; }
  rps="$(awk '/^Requests\/sec:/ { print $2; exit }' "$out")"
  [[ -n "$rps" ]] || rps="$(kv "$line" rps)"
  R_RPS="$rps"
  R_P50="$(kv "$line" p50_us)"
  R_P99="$(kv "$line" p99_us)"
  R_REQ="$(kv "$line" requests)"
  R_CHECKED="$(kv "$line" checked)"
  R_BAD="$(kv "$line" bad)"
  R_SOCKERR=$(($(kv "$line" err_connect) + $(kv "$line" err_read) + $(kv "$line" err_write) + $(kv "$line" err_timeout)))
  R_STATUSERR="$(kv "$line" err_status)"
  R_CODES="$(grep '^OBH_CODE ' "$out" || true)"
  if [[ -n "${BENCH_KEEP:-}" ]]; then mkdir -p "$BENCH_KEEP" && cp "$out" "$BENCH_KEEP/"; fi
}

# Per-target results, by name.
declare -A RPS P50 P99 BAD CHECKED SOCKERR STATUSERR VALID CODES PASSNOTE CHECK_RPS OTHER BEFORE
QUIET_SEEN=0

# measure NAME SCRIPT URL [ENV=VAL...]: the checking pass; records validity and the rate.
measure_checked() {
  local name="$1" script="$2" url="$3"
  shift 3
  run_wrk "$name" "$script" 1 "$url" "$@"
  RPS[$name]="$R_RPS"
  OTHER[$name]="$R_OTHER"
  BEFORE[$name]="$R_BEFORE"
  CHECK_RPS[$name]="$R_RPS"
  P50[$name]="$R_P50"
  P99[$name]="$R_P99"
  BAD[$name]="$R_BAD"
  CHECKED[$name]="$R_CHECKED"
  SOCKERR[$name]="$R_SOCKERR"
  STATUSERR[$name]="$R_STATUSERR"
  CODES[$name]="$R_CODES"
  PASSNOTE[$name]="checking pass"
  # Valid: something was answered, non-A0000 (or non-200) answers <= 1% of the answers,
  # and socket errors <= 1% of the requests.
  if ((R_CHECKED == 0)) || ((R_BAD * 100 > R_CHECKED)) || ((R_SOCKERR * 100 > R_REQ)); then
    VALID[$name]="INVALID"
  else
    VALID[$name]="valid"
  fi
}

# The rate pass, without response(): replaces the rate and latencies of NAME.
measure_rate() {
  local name="$1" script="$2" url="$3"
  shift 3
  run_wrk "$name" "$script" 0 "$url" "$@"
  RPS[$name]="$R_RPS"
  ((R_OTHER <= OTHER[$name])) || OTHER[$name]="$R_OTHER" # the noisier of the two passes
  P50[$name]="$R_P50"
  P99[$name]="$R_P99"
  PASSNOTE[$name]="rate pass (no response()), validity from checking pass"
  ((R_SOCKERR * 100 <= R_REQ)) || VALID[$name]="INVALID"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo '?'; }

ms() { awk -v us="$1" 'BEGIN { printf "%.2fms", us / 1000 }'; }

# ---------------------------------------------------------------------------------------
# 3. The simulator
# ---------------------------------------------------------------------------------------
start_sim() {
  local i
  port_free "$SIM_PORT" || die "port $SIM_PORT is taken (set BENCH_SIM_PORT)"
  "$SIM_BIN" sim --listen "127.0.0.1:$SIM_PORT" --admin-token "$ADMIN_TOKEN" --workers 1 \
    --no-operating-hours >"$TMP/sim.log" 2>&1 &
  SIM_PID=$!
  for ((i = 0; i < 300; i++)); do
    if curl_ -o /dev/null -f -H "X-Sim-Admin-Token: $ADMIN_TOKEN" "$SIM/_sim/clock" 2>/dev/null; then
      return 0
    fi
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 30 "$TMP/sim.log" >&2 || true
  die "the simulator did not answer GET /_sim/clock on $SIM"
}

# ---------------------------------------------------------------------------------------
# Runs: without BENCH_INNER, this script prints the conditions, runs itself BENCH_RUNS
# times (BENCH_INNER=N: one whole run with its own nginx and simulator) and sums up.
# ---------------------------------------------------------------------------------------
RUNS="${BENCH_RUNS:-3}"
MEM_WITHDRAWS="${BENCH_MEM_WITHDRAWS:-1000000}"
EMBEDDED="${BENCH_EMBEDDED:-1}"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"
[[ "$MEM_WITHDRAWS" =~ ^[0-9]+$ ]] || die "BENCH_MEM_WITHDRAWS must be a number"

other_now() { # % of one core busy over 1 s, outside any server of ours
  local b0
  b0="$(sys_busy)"
  sleep 1
  echo $((($(sys_busy) - b0) * 100 / HZ))
}

conditions() {
  local cpu commit dirty
  cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  dirty="$(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null | wc -l)"
  echo "conditions:"
  echo "  date       $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "  machine    $(nproc) cores (${cpu:-?}), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
  echo "  load       loadavg $(cut -d' ' -f1-3 /proc/loadavg) before the first run; other processes $(other_now)% of a core (1 s sample)"
  echo "  tools      $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}'); $("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //'); $(rustc -V 2>/dev/null || echo 'rustc ?')"
  echo "  simulator  $SIM_BIN, built $(date -u -r "$SIM_BIN" '+%Y-%m-%d %H:%M UTC'); tree at commit $commit$( ((dirty > 0)) && echo " + $dirty uncommitted file(s) under src/ or Cargo.*")"
  echo "  shape      wrk -t1 -c$CONNS -d$DURATION per pass; simulator --workers 1; nginx worker_processes 1; $RUNS run(s)"
  # The simulator turns huge pages off for itself (src/memory.rs); the system setting says
  # what nginx and wrk get, and what an older simulator build got.
  echo "  memory     transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo '?') (system); off in the simulator (prctl)"
}

stat3() { # values... -> "min / median / max"
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f / %.2f / %.2f", v[1], m, v[NR] }'
}

if [[ -z "${BENCH_INNER:-}" && "$NGINX_ONLY" != 1 ]]; then
  conditions
  for ((r = 1; r <= RUNS; r++)); do
    mem=0
    ((r == RUNS)) && mem="$MEM_WITHDRAWS"
    say "run $r of $RUNS"
    BENCH_INNER="$r" BENCH_SKIP_BUILD=1 BENCH_SKIP_INSTALL=1 BENCH_MEM_WITHDRAWS="$mem" BENCH_SIM_BIN="$SIM_BIN" \
      bash "$0" >"$TMP/run$r.txt" &
    INNER_PID=$!
    wait "$INNER_PID" || die "run $r failed"
    INNER_PID=""
    echo
    echo "=== run $r of $RUNS"
    grep -v '^OBH_' "$TMP/run$r.txt" || true
  done

  kvr() { kv "$(grep -m1 '^OBH_RUN ' "$TMP/run$1.txt")" "$2"; }
  echo
  echo "=== summary of $RUNS run(s); ratios to the same run's nginx /static.json"
  rrow() { printf '%-4s %10s %12s %22s %22s %24s %13s  %s\n' "$@"; }
  rrow run nginx wrk-ceiling "balance (x, p99)" "withdraw (x, p99)" "embedded mix (x, p99)" "other% bef/dur" validity
  declare -a RB RW RE RC
  met_b=0 met_w=0 met_bp=0 met_wp=0 met_e=0 met_ep=0
  for ((r = 1; r <= RUNS; r++)); do
    ng="$(kvr "$r" nginx)" dyn="$(kvr "$r" nginx_dyn)" b="$(kvr "$r" balance)" w="$(kvr "$r" withdraw)"
    bp="$(kvr "$r" balance_p99_us)" wp="$(kvr "$r" withdraw_p99_us)" e="$(kvr "$r" embedded)" ep="$(kvr "$r" embedded_p99_us)"
    rb="$(awk -v a="$b" -v b="$ng" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    rw="$(awk -v a="$w" -v b="$ng" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    re="$(awk -v a="$e" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    rc="$(awk -v a="$dyn" -v b="$ng" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    RB+=("$rb") RW+=("$rw") RE+=("$re") RC+=("$rc")
    valid="$(kvr "$r" valid)"
    if [[ "$valid" == valid ]]; then
      awk -v x="$rb" 'BEGIN { exit !(x >= 0.7) }' && met_b=$((met_b + 1))
      awk -v x="$rw" 'BEGIN { exit !(x >= 0.5) }' && met_w=$((met_w + 1))
      ((bp <= 5000)) && met_bp=$((met_bp + 1))
      ((wp <= 5000)) && met_wp=$((met_wp + 1))
    fi
    if [[ "$EMBEDDED" != 0 ]]; then
      awk -v x="$re" 'BEGIN { exit !(x >= 0.5) }' && met_e=$((met_e + 1))
      ((ep > 0 && ep <= 10000)) && met_ep=$((met_ep + 1))
    fi
    rrow "$r" "$ng" "$dyn (${rc}x)" "$b (${rb}x, $(ms "$bp"))" "$w (${rw}x, $(ms "$wp"))" \
      "$e (${re}x, $(ms "$ep"))" "$(kvr "$r" before_max)/$(kvr "$r" other_max)" "$valid"
  done
  echo "(wrk-ceiling: nginx serving the same file at the balance path while wrk builds every request"
  echo " in Lua, as it does against the simulator: the most wrk -t1 can send that way on this machine;"
  echo " embedded mix: \`obharness load scenarios/load/inquiry-mix.yaml\`, simulator and goose in one"
  echo " process, as a ratio of the same run's wrk-on-simulator balance rate)"
  echo "ratios, min / median / max: balance $(stat3 "${RB[@]}"); withdraw $(stat3 "${RW[@]}"); wrk-ceiling $(stat3 "${RC[@]}")$([[ "$EMBEDDED" != 0 ]] && echo "; embedded mix $(stat3 "${RE[@]}")")"
  mem_line="$(grep -h -m1 '^OBH_MEM ' "$TMP/run$RUNS.txt" || true)"
  if [[ -n "$mem_line" ]]; then
    n="$(kv "$mem_line" withdraws)" r0="$(kv "$mem_line" rss_before_kib)" r1="$(kv "$mem_line" rss_after_kib)" rs="$(kv "$mem_line" rss_start_kib)"
    echo "memory (run $RUNS): $n withdraws in $(kv "$mem_line" passes) wrk passes of 5 s: simulator RSS $r0 -> $r1 KiB," \
      "growth $(awk -v a="$r0" -v b="$r1" 'BEGIN { printf "%.1f MiB", (b - a) / 1024 }')" \
      "($(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) * 1024 / n : 0) }') bytes per withdraw);" \
      "$(awk -v a="$rs" -v b="$r1" 'BEGIN { printf "%.1f MiB", (b - a) / 1024 }') since the simulator started (every pass of the run)"
  fi
  echo
  echo "Goals (met in how many of the $RUNS runs; an INVALID run meets none):"
  printf '  %-52s %s of %s\n' "balance  >= 0.7x nginx" "$met_b" "$RUNS" "withdraw >= 0.5x nginx" "$met_w" "$RUNS" \
    "balance  p99 <= 5 ms" "$met_bp" "$RUNS" "withdraw p99 <= 5 ms" "$met_wp" "$RUNS"
  if [[ "$EMBEDDED" != 0 ]]; then
    printf '  %-52s %s of %s\n' "embedded inquiry-mix >= 0.5x wrk-on-sim balance" "$met_e" "$RUNS" \
      "embedded inquiry-mix p99 <= 10 ms" "$met_ep" "$RUNS"
  fi
  if [[ -n "$mem_line" ]]; then
    awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN { printf "  %-52s %s\n", "1,000,000 withdraws: RSS growth <= 250 MiB", \
      (n >= 1000000 ? ((b - a) / 1024 <= 250 ? "PASS" : "MISS") : "not measured (fewer withdraws)") }'
  fi
  echo
  echo "(a measurement, not a gate: exit status 0 either way)"
  exit 0
fi

# ---------------------------------------------------------------------------------------
# Run (one; BENCH_INNER=N when called by the loop above)
# ---------------------------------------------------------------------------------------
say "machine: $(nproc) cores; $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}'); $("$NGINX_BIN" -v 2>&1)"

# a. nginx
mkdir -p "$TMP/nginx/html"
make_static_json
start_nginx 1
measure_checked nginx static.lua "$NGX/static.json"

# Does wrk's response() callback cost > 10%? Measured where wrk is busiest: nginx.
DO_RATE_PASS=0
CALLBACK_NOTE=""
if [[ "$RATE_PASS" != never ]]; then
  measure_rate nginx static.lua "$NGX/static.json"
  cost="$(awk -v c="${CHECK_RPS[nginx]}" -v r="${RPS[nginx]}" 'BEGIN { printf "%.1f", (r > 0 ? (1 - c / r) * 100 : 0) }')"
  CALLBACK_NOTE="wrk's response() callback costs ${cost}% of nginx's rate (${CHECK_RPS[nginx]} req/s with it, ${RPS[nginx]} without)"
  if [[ "$RATE_PASS" == always ]] || awk -v x="$cost" 'BEGIN { exit !(x > 10) }'; then
    DO_RATE_PASS=1
    CALLBACK_NOTE="$CALLBACK_NOTE -> rates below come from a second pass without response(); validity from the checking pass"
  else
    RPS[nginx]="${CHECK_RPS[nginx]}"
    PASSNOTE[nginx]="checking pass"
    CALLBACK_NOTE="$CALLBACK_NOTE -> <= 10%, rates below come from the checking pass"
  fi
else
  CALLBACK_NOTE="BENCH_RATE_PASS=never: rates below come from the checking pass (callback cost not measured)"
fi

if [[ "${BENCH_NGINX_AUTO:-0}" == 1 ]]; then
  stop_pid "$NGINX_PID"
  NGINX_PID=""
  start_nginx auto
  measure_checked nginx-auto static.lua "$NGX/static.json"
  if ((DO_RATE_PASS)); then measure_rate nginx-auto static.lua "$NGX/static.json"; fi
fi
# wrk's own ceiling with a request built in Lua per call (as against the simulator).
if [[ "$NGINX_ONLY" != 1 ]]; then
  start_nginx_if_needed() { [[ -n "$NGINX_PID" ]] || start_nginx 1; }
  start_nginx_if_needed
  DYN_ENV=(OBH_TOKEN=bench OBH_CLIENT_USE_CODE=B000000000 OBH_FINTECH_USE_NUM=0)
  measure_checked nginx-dyn balance.lua "$NGX" "${DYN_ENV[@]}" OBH_ID_BASE=0
  if ((DO_RATE_PASS)); then measure_rate nginx-dyn balance.lua "$NGX" "${DYN_ENV[@]}" OBH_ID_BASE=200000000; fi
fi
stop_pid "$NGINX_PID"
NGINX_PID=""

# The simulator and credentials, then its two targets.
measure_simulator() {
  start_sim
  say "simulator up: $(head -n 3 "$TMP/sim.log" | tr '\n' ' ')"
  FIXTURE="$(curl_ -f -H "X-Sim-Admin-Token: $ADMIN_TOKEN" "$SIM/_sim/fixture")" || die "GET /_sim/fixture failed"
  fx() { jq -er "$1" <<<"$FIXTURE" || die "fixture has no $1"; }
  CLIENT_ID="$(fx .institution.client_id)"
  CLIENT_SECRET="$(fx .institution.client_secret)"
  CLIENT_USE_CODE="$(fx .institution.client_use_code)"
  REDIRECT_URI="$(fx .institution.redirect_uri)"
  CNTR_ACCOUNT_NUM="$(fx .institution.cntr_account_num)"
  INST_NAME="$(jq -r '.institution.name // "BENCH"' <<<"$FIXTURE")"
  USER_SEQ_NO="$(fx '.users[0].user_seq_no')"
  USER_NAME="$(fx '.users[0].user_name')"
  FIN="$(fx '.users[0].accounts[0].fintech_use_num')"
  ((${#CLIENT_USE_CODE} == 10)) || die "client_use_code '$CLIENT_USE_CODE' is not 10 characters"

  uri() { jq -rn --arg v "$1" '$v|@uri'; }
  STATE="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  AUTH_URL="$SIM/oauth/2.0/authorize?response_type=code&client_id=$(uri "$CLIENT_ID")&redirect_uri=$(uri "$REDIRECT_URI")&scope=login%20inquiry%20transfer&client_info=bench&state=$STATE&auth_type=0&sim_user_seq_no=$(uri "$USER_SEQ_NO")"
  LOCATION="$(curl_ -o /dev/null -w '%{redirect_url}' "$AUTH_URL")" || die "authorize request failed"
  CODE="$(sed -n 's/.*[?&]code=\([^&#]*\).*/\1/p' <<<"$LOCATION")"
  [[ -n "$CODE" ]] || die "authorize gave no code (Location: '$LOCATION'); body: $(curl_ "$AUTH_URL" | head -c 400)"
  TOKEN_JSON="$(curl_ -X POST "$SIM/oauth/2.0/token" \
    --data-urlencode "code=$CODE" --data-urlencode "client_id=$CLIENT_ID" \
    --data-urlencode "client_secret=$CLIENT_SECRET" --data-urlencode "redirect_uri=$REDIRECT_URI" \
    --data-urlencode "grant_type=authorization_code")" || die "token request failed"
  TOKEN="$(jq -er '.access_token' <<<"$TOKEN_JSON")" || die "no access_token in: $TOKEN_JSON"
  say "token for user $USER_SEQ_NO, fintech_use_num $FIN"

  NOW_DTIME="$(curl_ -H "X-Sim-Admin-Token: $ADMIN_TOKEN" "$SIM/_sim/clock" | jq -r '.tran_dtime // empty' 2>/dev/null || true)"
  [[ "$NOW_DTIME" =~ ^[0-9]{14}$ ]] || NOW_DTIME="$(TZ=UTC date -d '+9 hours' +%Y%m%d%H%M%S)"
  BALANCE_BEFORE="$(jq -r '.users[0].accounts[0].balance_amt // empty' <<<"$FIXTURE")"
  SIM_RSS_BEFORE="$(rss_kib "$SIM_PID")"
  WITHDRAW_TEMPLATE="$(jq -cn \
    --arg cntr "$CNTR_ACCOUNT_NUM" --arg fin "$FIN" --arg uname "$USER_NAME" --arg iname "$INST_NAME" '{
      bank_tran_id: "@@BANK_TRAN_ID@@", cntr_account_type: "N", cntr_account_num: $cntr,
      dps_print_content: "bench", fintech_use_num: $fin, wd_print_content: "bench", tran_amt: "1",
      tran_dtime: "@@TRAN_DTIME@@", req_client_name: $uname, req_client_fintech_use_num: $fin,
      req_client_num: "BENCH0001", transfer_purpose: "TR", recv_client_name: $iname,
      recv_client_bank_code: "097", recv_client_account_num: $cntr }')"

  # One request of each kind before the load, with ids outside the load's ranges (999999xxx),
  # so a broken contract shows up as a readable message rather than 100% INVALID.
  declare -A PROBE
  PROBE[balance]="$(curl_ -H "Authorization: Bearer $TOKEN" \
    "$SIM/v2.0/account/balance/fin_num?bank_tran_id=${CLIENT_USE_CODE}U999999901&fintech_use_num=$FIN&tran_dtime=$NOW_DTIME")" || true
  probe_body="${WITHDRAW_TEMPLATE/@@BANK_TRAN_ID@@/${CLIENT_USE_CODE}U999999902}"
  probe_body="${probe_body/@@TRAN_DTIME@@/$NOW_DTIME}"
  PROBE[withdraw]="$(curl_ -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json; charset=UTF-8' \
    --data-binary "$probe_body" "$SIM/v2.0/transfer/withdraw/fin_num")" || true
  for p in balance withdraw; do
    code="$(jq -r '.rsp_code // "?"' <<<"${PROBE[$p]}" 2>/dev/null || echo '?')"
    if [[ "$code" != A0000 ]]; then
      say "WARNING: probe $p answered rsp_code=$code: $(head -c 400 <<<"${PROBE[$p]}")"
    else
      say "probe $p: A0000"
    fi
  done

  # b. balance inquiry: ids U000000000.. (check pass) and U200000000.. (rate pass)
  SIM_ENV=(OBH_TOKEN="$TOKEN" OBH_CLIENT_USE_CODE="$CLIENT_USE_CODE" OBH_FINTECH_USE_NUM="$FIN")
  measure_checked balance balance.lua "$SIM" "${SIM_ENV[@]}" OBH_ID_BASE=0
  if ((DO_RATE_PASS)); then measure_rate balance balance.lua "$SIM" "${SIM_ENV[@]}" OBH_ID_BASE=200000000; fi

  # c. withdraw: ids U500000000.. (check pass) and U700000000.. (rate pass)
  measure_checked withdraw withdraw.lua "$SIM" "${SIM_ENV[@]}" OBH_BODY_TEMPLATE="$WITHDRAW_TEMPLATE" OBH_ID_BASE=500000000
  if ((DO_RATE_PASS)); then measure_rate withdraw withdraw.lua "$SIM" "${SIM_ENV[@]}" OBH_BODY_TEMPLATE="$WITHDRAW_TEMPLATE" OBH_ID_BASE=700000000; fi

  SIM_RSS_AFTER="$(rss_kib "$SIM_PID")"
  BALANCE_AFTER="$(curl_ -H "Authorization: Bearer $TOKEN" \
    "$SIM/v2.0/account/balance/fin_num?bank_tran_id=${CLIENT_USE_CODE}U999999903&fintech_use_num=$FIN&tran_dtime=$NOW_DTIME" |
    jq -r 'if .rsp_code == "A0000" then .balance_amt else "?" end' 2>/dev/null || echo '?')"
  # After the money check's reading, so that the memory pass's withdraws do not enter it.
  if ((MEM_WITHDRAWS > 0)); then memory_pass "$MEM_WITHDRAWS"; fi
}
# The won left on the withdraw account (every bench withdraw takes 1 won); N picks a fresh id.
balance_now() {
  curl_ -H "Authorization: Bearer $TOKEN" \
    "$SIM/v2.0/account/balance/fin_num?bank_tran_id=${CLIENT_USE_CODE}U9999998$(printf '%02d' "$1")&fintech_use_num=$FIN&tran_dtime=$NOW_DTIME" |
    jq -r 'if .rsp_code == "A0000" then .balance_amt else "?" end' 2>/dev/null || echo '?'
}

# More withdraws (wrk passes of 5 s, at most 60, ids U800000000.. in 2M steps) until TARGET
# have been debited since the pass began; then the simulator's RSS growth.
memory_pass() {
  local target="$1" i=0 bal0 bal debited=0 rss0 saved="$DURATION"
  rss0="$(rss_kib "$SIM_PID")"
  bal0="$(balance_now 0)"
  [[ "$bal0" =~ ^[0-9]+$ ]] || { say "memory pass: cannot read the balance ($bal0)"; return 0; }
  DURATION=5s
  while ((debited < target && i < 60)); do
    NO_QUIET_WAIT=1 run_wrk "mem$i" withdraw.lua 0 "$SIM" "${SIM_ENV[@]}" \
      OBH_BODY_TEMPLATE="$WITHDRAW_TEMPLATE" OBH_ID_BASE=$((800000000 + i * 2000000))
    i=$((i + 1))
    bal="$(balance_now "$i")"
    [[ "$bal" =~ ^[0-9]+$ ]] || break
    debited=$((bal0 - bal))
    say "memory pass: $debited withdraws, RSS $(rss_kib "$SIM_PID") KiB"
  done
  DURATION="$saved"
  echo "OBH_MEM withdraws=$debited passes=$i rss_before_kib=$rss0 rss_after_kib=$(rss_kib "$SIM_PID") rss_start_kib=$SIM_RSS_BEFORE"
}

# The embedded case: `obharness load` with its own simulator in the same process.
EMB_RPS=0 EMB_P99=0 EMB_ERR=0 EMB_OTHER=0 EMB_BEFORE=0
measure_embedded() {
  local out="$TMP/mix.json" b0 c0 t0 t1 other
  wait_quiet
  EMB_BEFORE="$QUIET_SEEN"
  say "obharness load scenarios/load/inquiry-mix.yaml  [embedded simulator and goose in one process]"
  b0="$(sys_busy)"
  c0="$(children_cpu)"
  t0="$(date +%s%N)"
  timeout 300 "$SIM_BIN" load "$ROOT/scenarios/load/inquiry-mix.yaml" --json "$out" >"$TMP/mix.txt" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID" || true # thresholds of the profile may fail; the JSON still says what happened
  LOAD_PID=""
  t1="$(date +%s%N)"
  other=$(($(sys_busy) - b0 - ($(children_cpu) - c0)))
  EMB_OTHER=$((other * 100 * 1000000000 / HZ / (t1 - t0)))
  ((EMB_OTHER >= 0)) || EMB_OTHER=0
  [[ -s "$out" ]] || { tail -n 20 "$TMP/mix.txt" >&2; say "WARNING: the embedded run wrote no JSON"; return 0; }
  EMB_RPS="$(jq -r '.overall.rate | floor' "$out")"
  EMB_P99="$(jq -r '.overall.p99_us' "$out")"
  EMB_ERR="$(jq -r '.overall.errors' "$out")"
  if [[ -n "${BENCH_KEEP:-}" ]]; then mkdir -p "$BENCH_KEEP" && cp "$out" "$TMP/mix.txt" "$BENCH_KEEP/"; fi
}

if [[ "$NGINX_ONLY" != 1 ]]; then
  measure_simulator
  stop_pid "$SIM_PID"
  SIM_PID=""
  if [[ "$EMBEDDED" != 0 ]]; then measure_embedded; fi
fi

# ---------------------------------------------------------------------------------------
# 6. Report
# ---------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

targets=(nginx)
[[ "${BENCH_NGINX_AUTO:-0}" == 1 ]] && targets+=(nginx-auto)
[[ "$NGINX_ONLY" == 1 ]] || targets+=(nginx-dyn balance withdraw)
describe() {
  case "$1" in
    nginx) echo "nginx /static.json (1 worker)" ;;
    nginx-auto) echo "nginx /static.json (auto workers)" ;;
    nginx-dyn) echo "nginx, wrk request() in Lua" ;;
    balance) echo "sim GET balance/fin_num" ;;
    withdraw) echo "sim POST withdraw/fin_num" ;;
  esac
}

echo
echo "obharness simulator vs nginx - $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, wrk -t1 -c$CONNS -d$DURATION --latency"
echo "$CALLBACK_NOTE"
echo
row() { printf '%-32s %11s %9s %9s %14s %8s %7s %7s  %s\n' "$@"; }
row target req/s p50 p99 non-A0000 vs-nginx before% other-% validity
row "$(printf '%.0s-' {1..32})" ----------- --------- --------- -------------- -------- ------- ------- --------
NOISY_ROWS=0
for t in "${targets[@]}"; do
  bad="${BAD[$t]}/${CHECKED[$t]}"
  [[ "$t" == nginx || "$t" == nginx-auto ]] && bad="${BAD[$t]}/${CHECKED[$t]}*"
  validity="${VALID[$t]}"
  if ((OTHER[$t] > NOISY_PCT)); then
    validity="$validity, NOISY"
    NOISY_ROWS=$((NOISY_ROWS + 1))
  fi
  row "$(describe "$t")" "${RPS[$t]}" "$(ms "${P50[$t]}")" "$(ms "${P99[$t]}")" "$bad" \
    "$(ratio "${RPS[$t]}" "${RPS[nginx]}")" "${BEFORE[$t]}" "${OTHER[$t]}" "$validity"
done
if [[ "$NGINX_ONLY" != 1 && "$EMBEDDED" != 0 ]]; then
  emb_note="x wrk-on-sim balance: $(ratio "$EMB_RPS" "${RPS[balance]}")"
  ((EMB_OTHER > NOISY_PCT)) && emb_note="$emb_note, NOISY"
  row "embedded inquiry-mix (load)" "$EMB_RPS" "" "$(ms "$EMB_P99")" "$EMB_ERR errors" \
    "$(ratio "$EMB_RPS" "${RPS[nginx]}")" "$EMB_BEFORE" "$EMB_OTHER" "$emb_note"
fi
echo "(non-A0000 = bad answers / answers checked; * for nginx, non-200 answers)"
echo "(other-% = CPU used by processes other than wrk and the server during the run, in % of one"
echo " core; NOISY above ${NOISY_PCT}%: the machine was shared, rerun for trustworthy numbers;"
echo " before% = the same over the last 1 s sample before the run; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
if [[ "$NGINX_ONLY" == 1 ]]; then
  echo "(BENCH_NGINX_ONLY=1: nginx only; socket errors: nginx ${SOCKERR[nginx]})"
  exit 0
fi
echo "(rates: ${PASSNOTE[balance]}; socket errors: nginx ${SOCKERR[nginx]}, balance ${SOCKERR[balance]}, withdraw ${SOCKERR[withdraw]}; non-2xx: balance ${STATUSERR[balance]}, withdraw ${STATUSERR[withdraw]})"
for t in balance withdraw; do
  if [[ -n "${CODES[$t]}" ]]; then
    echo "non-A0000 answers for $t:"
    while IFS= read -r l; do echo "  ${l#OBH_CODE }"; done <<<"${CODES[$t]}"
  fi
done
# Money check: every A0000 withdraw of 1 won must have debited exactly 1 won. wrk does not
# read the answers still in flight when it stops (at most one per connection per pass), so
# the debit may exceed the A0000 answers seen by up to that many.
passes=1
((DO_RATE_PASS)) && passes=2
seen=$((CHECKED[withdraw] - BAD[withdraw] + 1)) # + the probe
if [[ "$BALANCE_BEFORE" =~ ^[0-9]+$ && "$BALANCE_AFTER" =~ ^[0-9]+$ ]]; then
  debited=$((BALANCE_BEFORE - BALANCE_AFTER))
  verdict="consistent"
  if ((debited < seen)); then
    verdict="INCONSISTENT: fewer won debited than A0000 answers seen"
  elif ((DO_RATE_PASS == 0 && debited > seen + passes * CONNS)); then
    verdict="INCONSISTENT: more won debited than A0000 answers + in-flight requests"
  elif ((DO_RATE_PASS)); then
    verdict="not checked exactly: the rate pass's answers are not read"
  fi
  echo "withdraw account: $BALANCE_BEFORE -> $BALANCE_AFTER won, debited $debited; A0000 withdraw answers read: $seen ($verdict; up to $CONNS in flight per pass when wrk stops)"
else
  echo "withdraw account: could not read the balance after the run ($BALANCE_AFTER)"
fi
echo "simulator RSS: ${SIM_RSS_BEFORE} KiB before the load, ${SIM_RSS_AFTER} KiB after"

echo
echo "Goals:"
goal() { # name ok(0/1) text
  local verdict=MISS
  (($2)) && verdict=PASS
  [[ "${VALID[$1]}" == INVALID ]] && verdict="MISS (run INVALID)"
  printf '  %-44s %s\n' "$3" "$verdict"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' && echo 1 || echo 0; }
r_bal="$(ratio "${RPS[balance]}" "${RPS[nginx]}")"
r_wd="$(ratio "${RPS[withdraw]}" "${RPS[nginx]}")"
goal balance "$(ge "$r_bal" 0.7)" "balance  >= 0.7x nginx   (is ${r_bal}x)"
goal withdraw "$(ge "$r_wd" 0.5)" "withdraw >= 0.5x nginx   (is ${r_wd}x)"
goal balance "$(ge 5000 "${P99[balance]}")" "balance  p99 <= 5 ms     (is $(ms "${P99[balance]}"))"
goal withdraw "$(ge 5000 "${P99[withdraw]}")" "withdraw p99 <= 5 ms     (is $(ms "${P99[withdraw]}"))"
((NOISY_ROWS == 0)) || echo "  ($NOISY_ROWS NOISY row(s): other processes competed for the CPU; these verdicts are unreliable)"
other_max=0 before_max=0 all_valid=valid
for t in "${targets[@]}"; do
  ((OTHER[$t] > other_max)) && other_max="${OTHER[$t]}"
  ((BEFORE[$t] > before_max)) && before_max="${BEFORE[$t]}"
  [[ "${VALID[$t]}" == valid ]] || all_valid=INVALID
done
((EMB_OTHER > other_max)) && other_max="$EMB_OTHER"
echo "OBH_RUN nginx=${RPS[nginx]} nginx_dyn=${RPS[nginx-dyn]} balance=${RPS[balance]} withdraw=${RPS[withdraw]} balance_p99_us=${P99[balance]} withdraw_p99_us=${P99[withdraw]} embedded=$EMB_RPS embedded_p99_us=$EMB_P99 other_max=$other_max before_max=$before_max valid=$all_valid"
echo
echo "(a measurement, not a gate: exit status 0 either way)"
exit 0
