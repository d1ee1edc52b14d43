#!/usr/bin/env bash
# Instructions per request of the simulator, counted by valgrind's callgrind: the primary
# before/after evidence for the simulator's hot path, because instruction counts do not
# depend on what else the (shared, 2-core) machine is doing, unlike req/s.
#
#   bash benches/sim_callgrind.sh [BINARY]      (default target/release/obharness; not built)
#
# Starts BINARY `sim` under callgrind with instrumentation off, logs in like
# sim_vs_nginx.sh, warms up with a short wrk run, then for each of balance and withdraw:
# zeroes the counters, switches instrumentation on, runs `wrk -t1 -c4 -d$CG_DURATION`
# (loopback, bounded in time), switches it off and dumps. Prints, per target, the requests
# wrk completed, the instructions (Ir) counted and Ir per request (every thread of the
# simulator: the tokio worker, hyper, the handlers; requests in flight at the edges of the
# window add at most 2 x 4 requests' worth). CG_TOP=N also prints the N costliest functions
# (inclusive) per target. Knobs: CG_DURATION=10s, CG_PORT=18095, CG_KEEP=DIR (keep the
# callgrind files). CG_NATIVE=1 runs the binary without valgrind and prints instead its CPU
# time (user + system, from /proc) per request: a wall-clock cross-check that other load
# disturbs less than req/s (it still shares caches and cores with it).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
LUA="$HERE/lua"
BIN="${1:-$ROOT/target/release/obharness}"
DURATION="${CG_DURATION:-10s}"
PORT="${CG_PORT:-18095}"
ADMIN_TOKEN="bench-admin"
SIM="http://127.0.0.1:${PORT}"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'sim_callgrind: %s\n' "$*" >&2; exit 1; }
for tool in valgrind callgrind_control callgrind_annotate wrk curl jq; do
  command -v "$tool" >/dev/null || die "missing $tool (apt-get install -y valgrind wrk curl jq)"
done
[[ -x "$BIN" ]] || die "no binary at $BIN"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/obh-cg.XXXXXX")"
SIM_PID=""
cleanup() {
  if [[ -n "$SIM_PID" ]]; then
    kill -TERM "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
  if [[ -n "${CG_KEEP:-}" ]]; then mkdir -p "$CG_KEEP" && cp "$TMP"/cg.out* "$CG_KEEP/" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
curl_() { curl --noproxy '*' -sS --max-time 60 "$@"; }

NATIVE="${CG_NATIVE:-0}"
VG=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/cg.out")
((NATIVE)) && VG=()
"${VG[@]}" "$BIN" sim --listen "127.0.0.1:$PORT" --admin-token "$ADMIN_TOKEN" --workers 1 --no-operating-hours \
  >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
for ((i = 0; i < 600; i++)); do
  curl_ -o /dev/null -f -H "X-Sim-Admin-Token: $ADMIN_TOKEN" "$SIM/_sim/clock" 2>/dev/null && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$TMP/sim.log" >&2; die "the simulator exited"; }
  sleep 0.2
done

FIXTURE="$(curl_ -f -H "X-Sim-Admin-Token: $ADMIN_TOKEN" "$SIM/_sim/fixture")"
fx() { jq -er "$1" <<<"$FIXTURE"; }
CLIENT_ID="$(fx .institution.client_id)"
CLIENT_SECRET="$(fx .institution.client_secret)"
CLIENT_USE_CODE="$(fx .institution.client_use_code)"
REDIRECT_URI="$(fx .institution.redirect_uri)"
CNTR="$(fx .institution.cntr_account_num)"
INST_NAME="$(jq -r '.institution.name // "BENCH"' <<<"$FIXTURE")"
USER_SEQ_NO="$(fx '.users[0].user_seq_no')"
USER_NAME="$(fx '.users[0].user_name')"
FIN="$(fx '.users[0].accounts[0].fintech_use_num')"
uri() { jq -rn --arg v "$1" '$v|@uri'; }
LOCATION="$(curl_ -o /dev/null -w '%{redirect_url}' "$SIM/oauth/2.0/authorize?response_type=code&client_id=$(uri "$CLIENT_ID")&redirect_uri=$(uri "$REDIRECT_URI")&scope=login%20inquiry%20transfer&client_info=bench&state=cg&auth_type=0&sim_user_seq_no=$(uri "$USER_SEQ_NO")")"
CODE="$(sed -n 's/.*[?&]code=\([^&#]*\).*/\1/p' <<<"$LOCATION")"
TOKEN="$(curl_ -X POST "$SIM/oauth/2.0/token" --data-urlencode "code=$CODE" --data-urlencode "client_id=$CLIENT_ID" \
  --data-urlencode "client_secret=$CLIENT_SECRET" --data-urlencode "redirect_uri=$REDIRECT_URI" \
  --data-urlencode "grant_type=authorization_code" | jq -er .access_token)" || die "no token"
TEMPLATE="$(jq -cn --arg cntr "$CNTR" --arg fin "$FIN" --arg uname "$USER_NAME" --arg iname "$INST_NAME" '{
  bank_tran_id: "@@BANK_TRAN_ID@@", cntr_account_type: "N", cntr_account_num: $cntr,
  dps_print_content: "bench", fintech_use_num: $fin, wd_print_content: "bench", tran_amt: "1",
  tran_dtime: "@@TRAN_DTIME@@", req_client_name: $uname, req_client_fintech_use_num: $fin,
  req_client_num: "BENCH0001", transfer_purpose: "TR", recv_client_name: $iname,
  recv_client_bank_code: "097", recv_client_account_num: $cntr }')"
ENV=(OBH_TOKEN="$TOKEN" OBH_CLIENT_USE_CODE="$CLIENT_USE_CODE" OBH_FINTECH_USE_NUM="$FIN" OBH_BODY_TEMPLATE="$TEMPLATE")

wrk_run() { # script id_base duration -> completed requests and bad answers on stdout
  local out="$TMP/wrk.txt"
  env "${ENV[@]}" OBH_ID_BASE="$2" OBH_LABEL=cg OBH_CHECK=1 \
    wrk -t1 -c4 -d"$3" -s "$LUA/$1" "$SIM" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
  local line
  line="$(grep -m1 '^OBH_RESULT ' "$out")"
  echo "$(tr ' ' '\n' <<<"$line" | sed -n 's/^requests=//p') $(tr ' ' '\n' <<<"$line" | sed -n 's/^bad=//p')"
}

say "warm-up (3 s each, not counted)"
wrk_run balance.lua 100000000 3s >/dev/null
wrk_run withdraw.lua 300000000 3s >/dev/null

HZ="$(getconf CLK_TCK 2>/dev/null || echo 100)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SIM_PID/stat"; }
if ((NATIVE)); then
  printf '%-10s %10s %6s %12s %14s %10s\n' target requests bad req/s "CPU us/request" loadavg
  for t in balance:0 withdraw:500000000; do
    name="${t%%:*}"
    c0="$(cpu_ticks)"
    t0="$(date +%s%N)"
    read -r reqs bad < <(wrk_run "$name.lua" "${t#*:}" "$DURATION")
    t1="$(date +%s%N)"
    c1="$(cpu_ticks)"
    printf '%-10s %10s %6s %12.0f %14.1f %10s\n' "$name" "$reqs" "$bad" \
      "$(awk -v n="$reqs" -v t="$((t1 - t0))" 'BEGIN { print n / (t / 1e9) }')" \
      "$(awk -v c="$((c1 - c0))" -v n="$reqs" -v hz="$HZ" 'BEGIN { print c / hz * 1e6 / n }')" "$(cut -d' ' -f1 /proc/loadavg)"
  done
  exit 0
fi
printf '%-10s %10s %6s %16s %12s\n' target requests bad Ir Ir/request
n=0
for t in balance:0 withdraw:500000000; do
  name="${t%%:*}"
  base="${t#*:}"
  n=$((n + 1))
  callgrind_control -z "$SIM_PID" >/dev/null 2>&1
  callgrind_control -i on "$SIM_PID" >/dev/null 2>&1
  read -r reqs bad < <(wrk_run "$name.lua" "$base" "$DURATION")
  callgrind_control -i off "$SIM_PID" >/dev/null 2>&1
  callgrind_control -d "$name" "$SIM_PID" >/dev/null 2>&1
  file=""
  for ((i = 0; i < 300; i++)); do # the dump is written when the simulator next runs
    file="$(ls "$TMP"/cg.out.* 2>/dev/null | sort -t. -k3 -n | sed -n "${n}p")"
    [[ -n "$file" ]] && break
    curl_ -o /dev/null -H "X-Sim-Admin-Token: $ADMIN_TOKEN" "$SIM/_sim/clock" 2>/dev/null || true
    sleep 0.2
  done
  [[ -n "$file" ]] || die "callgrind wrote no dump"
  sleep 1
  ir="$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')"
  printf '%-10s %10s %6s %16s %12.0f\n' "$name" "$reqs" "$bad" "$ir" "$(awk -v a="$ir" -v b="$reqs" 'BEGIN { print a / b }')"
  if [[ -n "${CG_TOP:-}" ]]; then
    { callgrind_annotate --inclusive=yes "$file" 2>/dev/null || true; } | sed -n "/file:function/,\$p" | sed -n "1,$((CG_TOP + 2))p" >&2
  fi
done
