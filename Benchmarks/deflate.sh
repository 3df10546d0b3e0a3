#!/usr/bin/env bash
# permessage-deflate benchmark (issue 12): the Swift echo server
# (lws-echo-server --deflate) against the plain C lws echo server
# (lws-c-echo-server --deflate), both driven by the same load client
# (load-client/lws-load.c, which compresses with its own zlib code).
#
#   ./deflate.sh [options]        all scenarios -> results-deflate.md
#
# Workloads: json (1 KiB JSON-like text, compresses well) and random (1 KiB
# of random printable text, does not), each with and without deflate.
#  - 1 connection: C and Swift alternating, --runs rounds, medians;
#  - 50 connections: Swift --runs-50 runs; C one run per workload as a
#    reference (with deflate, lws 4.1.6's server has been seen to break with
#    several concurrent compressed connections: that run is only reported);
#  - memory: server RSS for --idle-connections idle connections, silent
#    (upgrade only) and after each echoed one 1 KiB json message, with and
#    without deflate, C and Swift: KB per connection.
# Per echo run: round trips/s (client), bytes on the wire per round trip
# (websocket bytes the client's send()/recv() moved in the measured seconds,
# both directions, no TCP/IP headers), and server CPU µs per message
# (utime + stime from /proc/PID/stat over the client's whole run, divided by
# every echo the client received, warmup included).
#
# Options:
#   --duration S            measured seconds per echo run (default 5)
#   --warmup S              unmeasured seconds before that (default 1)
#   --runs N                1-connection rounds, C and Swift (default 5)
#   --runs-50 N             50-connection runs of the Swift server (default 3)
#   --idle-connections N    memory scenario size (default 500)
#   --hold S                memory scenario: seconds to hold (default 2)
#   --swift-server PATH     use this server binary instead of building it
#   --no-c-50               skip the C server's 50-connection reference runs
#   --wait-idle S           before each run, wait up to S s for the machine to
#                           be idle, and retry (twice) echo runs that other
#                           processes disturbed (default 0: only report them)
#
# Target (Swift/C): TARGET_1CONN_DEFLATE (0.90), 1 connection with deflate.
# The server runs on CPU $SERVER_CPU (0), the client on CPU $CLIENT_CPU (1),
# as in run.sh.

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD="$HERE/.build-bench"
BENCH_NAME=deflate.sh  # measure.sh names its warnings after it
# shellcheck source=measure.sh
. "$HERE/measure.sh"  # timing, quietness, RSS, medians, pinning, the C build (shared with run.sh)
CC=${CC:-cc}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
TARGET=${TARGET_1CONN_DEFLATE:-0.90}

DURATION=5
WARMUP=1
RUNS=5
RUNS50=3
IDLE_CONNS=500
HOLD=2
SWIFT_SERVER=""
C50=1
WAIT_IDLE=0
DISTURBED_PCT=${DISTURBED_PCT:-20}
ARGS_USED=""; [ $# -gt 0 ] && ARGS_USED=$(printf ' %q' "$@")

usage() { awk 'NR > 1 && !/^#/ { print ""; exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "deflate.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=${2:?}; shift ;;
	--warmup) WARMUP=${2:?}; shift ;;
	--runs) RUNS=${2:?}; shift ;;
	--runs-50) RUNS50=${2:?}; shift ;;
	--idle-connections) IDLE_CONNS=${2:?}; shift ;;
	--hold) HOLD=${2:?}; shift ;;
	--swift-server) SWIFT_SERVER=${2:?}; shift ;;
	--no-c-50) C50=0 ;;
	--wait-idle) WAIT_IDLE=${2:?}; shift ;;
	-h|--help) usage 0 ;;
	*) echo "unknown argument: $1" >&2; usage 2 ;;
	esac
	shift
done

# seconds between "established" and the RSS sample: 1, or half the hold time
IDLE_SETTLE=$(awk -v h="$HOLD" 'BEGIN { print (h >= 2 ? 1 : h / 2) }')
LWS_VERSION=$(pkg-config --modversion libwebsockets 2>/dev/null | sed 's/-$//')
raise_fd_limit

pin_cpus

mkdir -p "$BUILD"
CLIENT_LOG="$BUILD/deflate-client.log"
: >"$CLIENT_LOG"

# ---- build (as run.sh) ------------------------------------------------------

build_c_programs

if [ -n "$SWIFT_SERVER" ]; then
	[ -x "$SWIFT_SERVER" ] || die "--swift-server $SWIFT_SERVER is not an executable"
	SWIFT_BIN=$SWIFT_SERVER
else
	echo "== building Swift example: swift build -c release --product lws-echo-server --scratch-path .build-bench"
	if (cd "$ROOT" && swift build -c release --product lws-echo-server --scratch-path .build-bench) >"$BUILD/swift-build.log" 2>&1; then
		SWIFT_BIN="$(cd "$ROOT" && swift build -c release --scratch-path .build-bench --show-bin-path)/lws-echo-server"
	else
		tail -n 25 "$BUILD/swift-build.log" >&2
		die "the Swift product lws-echo-server does not build; full log: $BUILD/swift-build.log"
	fi
fi

# ---- helpers ------------------------------------------------------

SERVER_PID=""
SERVER_PORT=""
CLIENT_PID=""
cleanup() {
	[ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
}
trap cleanup EXIT
trap 'echo; echo "deflate.sh: interrupted" >&2; exit 130' INT TERM


declare -A VALUES   # "key|kind" -> space separated values, one per run
declare -A NOTES    # "key|kind" -> problems seen
add_value() { VALUES["$1|$2"]="${VALUES["$1|$2"]:-}${VALUES["$1|$2"]:+ }$3"; }
add_note() { NOTES["$1|$2"]="${NOTES["$1|$2"]:-}${NOTES["$1|$2"]:+; }$3"; }
vals() { echo "${VALUES["$1|$2"]:-}"; }

# start_server c|swift DEFLATE(0|1): sets SERVER_PID and SERVER_PORT
start_server() {
	local kind=$1 deflate=$2 log="$BUILD/deflate-server-$1.log" line i
	local -a cmd flag=()
	[ "$deflate" = 1 ] && flag=(--deflate)
	if [ "$kind" = c ]; then
		cmd=("$C_BIN" --port 0 "${flag[@]}")
	else
		cmd=("$SWIFT_BIN" --host 127.0.0.1 --port 0 --max-connections 6000 "${flag[@]}")
	fi
	echo "\$ ${cmd[*]}" >"$log"
	"${PIN_SERVER[@]}" "${LINEBUF[@]}" "${cmd[@]}" >>"$log" 2>&1 &
	SERVER_PID=$!
	for i in $(seq 1 200); do
		line=$(grep -m1 -o "listening on ws://[^[:space:]]*" "$log" 2>/dev/null)
		if [ -n "$line" ]; then
			SERVER_PORT=$(sed 's/.*:\([0-9][0-9]*\).*/\1/' <<<"$line")
			return 0
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "deflate.sh: $kind server exited at startup:" >&2; cat "$log" >&2
			wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
			return 1
		fi
		sleep 0.05
	done
	echo "deflate.sh: $kind server printed no 'listening on' line in 10 s" >&2
	stop_server
	return 1
}

# keep the server log of a run that went wrong
keep_log() { cp "$BUILD/deflate-server-$1.log" "$BUILD/deflate-server-$1-$2-$(date +%s).log" 2>/dev/null; }

# ---- one echo run -------------------------------------------------------------

TOTAL_RUNS=0
DISTURBED_RUNS=0
# echo_run KIND KEY CONNECTIONS CONTENT DEFLATE: one run, retried (with
# --wait-idle) when other processes disturbed it
echo_run() {
	TOTAL_RUNS=$((TOTAL_RUNS + 1))
	retry_disturbed echo_once "$@" || return
	if [ "$DISTURBED" = 1 ]; then
		DISTURBED_RUNS=$((DISTURBED_RUNS + 1))
		add_note "$2" "$1" "a run was disturbed by other processes"
	fi
	add_value "$2.rtps" "$1" "$R_RTPS"
	add_value "$2.wire" "$1" "$R_WIRE"
	add_value "$2.cpu" "$1" "$R_CPU"
	add_value "$2.errs" "$1" "$R_ERRS"
}

# echo_once KIND KEY CONNECTIONS CONTENT DEFLATE: returns 1 if the run failed,
# else sets R_RTPS R_WIRE R_CPU R_ERRS and DISTURBED
echo_once() {
	local kind=$1 key=$2 conns=$3 content=$4 deflate=$5 out line rc=0 t0 t1 m0 m1 w0 w1 other
	local -a dflag=()
	[ "$deflate" = 1 ] && dflag=(--deflate)
	if ! start_server "$kind" "$deflate"; then
		add_note "$key" "$kind" "server did not start"
		return 1
	fi
	echo "--- $kind $key (port $SERVER_PORT)" >>"$CLIENT_LOG"
	t0=$(cpu_ticks "$SERVER_PID"); m0=$(machine_ticks); w0=$(now_s)
	out=$("${PIN_CLIENT[@]}" "$LOAD_BIN" --url "ws://127.0.0.1:$SERVER_PORT/" \
		--connections "$conns" --content "$content" --text "${dflag[@]}" \
		--duration "$DURATION" --warmup "$WARMUP" 2>>"$CLIENT_LOG") || rc=$?
	t1=$(cpu_ticks "$SERVER_PID"); m1=$(machine_ticks); w1=$(now_s)
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		add_note "$key" "$kind" "server died during a run"
		keep_log "$kind" "$key"
	fi
	stop_server
	line=$(grep '^RESULT' <<<"$out" | tail -n 1)
	if [ -z "$line" ] || [ -z "$t1" ]; then
		add_note "$key" "$kind" "run failed (client rc $rc)"
		printf '  %-6s %-22s FAILED (see %s)\n' "$kind" "$key" "$CLIENT_LOG"
		return 1
	fi
	local errs rtps wire echoes cpu_us neg
	errs=$(field errors "$line"); rtps=$(field rtps "$line"); wire=$(field wire_per_rt "$line")
	echoes=$(field echoes "$line"); neg=$(field deflate "$line")
	cpu_us=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$echoes" 'BEGIN { if (n > 0) printf "%.2f", 1e6 * t / hz / n; else print "n/a" }')
	if [ "${errs:-0}" != 0 ]; then
		add_note "$key" "$kind" "$errs errors in a run ($(field mismatches "$line") mismatches)"
		keep_log "$kind" "$key"
	fi
	# CPU used by other processes while the client ran, % of one CPU
	other=$(awk -v m=$((m1 - m0)) -v s=$((t1 - t0)) -v c="$(field cpu_s "$line")" \
		-v hz="$CLK_TCK" -v a="$w0" -v b="$w1" 'BEGIN { o = (m - s) / hz - c; if (o < 0) o = 0; printf "%.0f", 100 * o / (b - a) }')
	printf '  %-6s %-22s %9.0f rt/s  wire %7.1f B/rt  server CPU %6s us/msg  deflate conns %s  errors %s  other CPU %s%%\n' \
		"$kind" "$key" "$rtps" "$wire" "$cpu_us" "$neg" "$errs" "$other"
	R_RTPS=$rtps; R_WIRE=$wire; R_CPU=$cpu_us; R_ERRS=${errs:-0}
	DISTURBED=0
	[ "$other" -gt "$DISTURBED_PCT" ] && DISTURBED=1
	return 0
}

# ---- one memory run -------------------------------------------------------------

# idle_run KIND KEY DEFLATE SILENT(0|1)
idle_run() {
	local kind=$1 key=$2 deflate=$3 silent=$4 before held out="$BUILD/deflate-idle.out" line i rc=0
	local -a flags=(--content json --text)
	[ "$deflate" = 1 ] && flags+=(--deflate)
	[ "$silent" = 1 ] && flags+=(--idle-silent)
	quiet_wait
	if ! start_server "$kind" "$deflate"; then
		add_note "$key" "$kind" "server did not start"
		return
	fi
	sleep 0.5
	before=$(rss_kb "$SERVER_PID")
	echo "--- $kind $key (port $SERVER_PORT)" >>"$CLIENT_LOG"
	"${PIN_CLIENT[@]}" "$LOAD_BIN" --url "ws://127.0.0.1:$SERVER_PORT/" --idle "$IDLE_CONNS" --hold "$HOLD" \
		"${flags[@]}" >"$out" 2>>"$CLIENT_LOG" &
	CLIENT_PID=$!
	for i in $(seq 1 1200); do
		grep -q '^established' "$out" 2>/dev/null && break
		kill -0 "$CLIENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	held=""
	if grep -q '^established' "$out"; then
		sleep "$IDLE_SETTLE"
		held=$(rss_kb "$SERVER_PID")
	fi
	wait "$CLIENT_PID" || rc=$?
	CLIENT_PID=""
	kill -0 "$SERVER_PID" 2>/dev/null || { add_note "$key" "$kind" "server died"; keep_log "$kind" "$key"; }
	stop_server
	line=$(grep '^RESULT' "$out" | tail -n 1)
	if [ -z "$held" ] || [ -z "$before" ] || [ -z "$line" ]; then
		add_note "$key" "$kind" "run failed (client rc $rc)"
		printf '  %-6s %-22s FAILED (see %s)\n' "$kind" "$key" "$CLIENT_LOG"
		return
	fi
	local errs per
	errs=$(field errors "$line")
	[ "${errs:-0}" = 0 ] || add_note "$key" "$kind" "$errs errors"
	per=$(awk -v a="$before" -v b="$held" -v n="$IDLE_CONNS" 'BEGIN { printf "%.2f", (b - a) / n }')
	add_value "$key.before" "$kind" "$before"
	add_value "$key.held" "$kind" "$held"
	add_value "$key.per" "$kind" "$per"
	printf '  %-6s %-22s RSS before %7s KB  held %8s KB  %7.2f KB/conn  deflate conns %s  errors %s\n' \
		"$kind" "$key" "$before" "$held" "$per" "$(field deflate "$line")" "$errs"
}

# ---- scenarios -------------------------------------------------------------------

WORKLOADS="json random"
echo "== permessage-deflate: Swift $SWIFT_BIN"
echo "   C $C_BIN; ${DURATION} s + ${WARMUP} s warmup per echo run"
for w in $WORKLOADS; do for d in 0 1; do
	key="1c-$w-$([ $d = 1 ] && echo deflate || echo plain)"
	echo "== 1 connection, $w 1 KiB, deflate $([ $d = 1 ] && echo on || echo off): $RUNS rounds, C and Swift alternating"
	for r in $(seq 1 "$RUNS"); do
		echo_run c "$key" 1 "$w" "$d"
		echo_run swift "$key" 1 "$w" "$d"
	done
done; done
for w in $WORKLOADS; do for d in 0 1; do
	key="50c-$w-$([ $d = 1 ] && echo deflate || echo plain)"
	echo "== 50 connections, $w 1 KiB, deflate $([ $d = 1 ] && echo on || echo off): Swift $RUNS50 runs$([ "$C50" = 1 ] && echo ", C 1 run")"
	[ "$C50" = 1 ] && echo_run c "$key" 50 "$w" "$d"
	for r in $(seq 1 "$RUNS50"); do echo_run swift "$key" 50 "$w" "$d"; done
done; done
echo "== memory: $IDLE_CONNS idle connections"
for d in 0 1; do for s in 1 0; do
	key="idle-$([ $d = 1 ] && echo deflate || echo plain)-$([ $s = 1 ] && echo silent || echo echoed)"
	for k in c swift; do idle_run "$k" "$key" "$d" "$s"; done
done; done

# ---- report --------------------------------------------------------------------------

notes_of() { # KEY -> "c: …; swift: …" or empty
	local k out=""
	for k in c swift; do
		[ -n "${NOTES["$1|$k"]:-}" ] && out="$out${out:+ }**$k**: ${NOTES["$1|$k"]}."
	done
	echo "$out"
}

REPORT=$(
	echo "# permessage-deflate: Swift echo server vs C lws echo server"
	echo
	echo "Generated by \`Benchmarks/deflate.sh$ARGS_USED\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)\`$(cd "$ROOT" && [ -n "$(git status --porcelain -- Sources Examples Benchmarks 2>/dev/null | grep -v results-deflate.md)" ] && echo ' (with uncommitted changes)'):"
	echo "libwebsockets $LWS_VERSION, zlib $(awk '/define ZLIB_VERSION/ { gsub(/"/, "", $3); print $3 }' /usr/include/zlib.h), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr);"
	echo "server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU; ${DURATION} s measured after ${WARMUP} s warmup per run."
	echo
	echo "- Servers: \`lws-c-echo-server --port 0 [--deflate]\` (lws's own extension with its defaults: 1 KiB steps, level 1),"
	echo "  \`lws-echo-server --host 127.0.0.1 --port 0 --max-connections 6000 [--deflate]\` (level 1, memory level 8, 16 KiB steps)."
	echo "- Client: \`lws-load --content json|random --text [--deflate]\`: 64 different 1 KiB payloads per workload, sent in turn;"
	echo "  with \`--deflate\` it offers \`permessage-deflate; client_max_window_bits\`, requires the server to accept, compresses with its"
	echo "  own zlib code (level 1, context takeover unless the server says otherwise) and inflates and checks every echoed byte."
	echo "- **wire B/rt**: websocket bytes (headers + payload, both directions) the client's \`send\`/\`recv\` moved per round trip in the"
	echo "  measured seconds; uncompressed, a 1 KiB round trip is 2 × (1024 + 8 header/mask) + 2 × (1024 + 4) = 2060 B. TCP/IP headers not counted."
	echo "- **server CPU µs/msg**: the server's utime + stime (\`/proc/PID/stat\`) over the client's whole run, divided by every echo"
	echo "  the client received (warmup included; connection setup is a negligible part)."
	echo
	echo "## 1 connection (medians of $RUNS alternating rounds)"
	echo
	echo "| workload | deflate | C rt/s | Swift rt/s | Swift/C | target | C runs | Swift runs | wire B/rt C | wire B/rt Swift | server CPU µs/msg C | Swift | Swift−C µs |"
	echo "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
	for w in $WORKLOADS; do for d in plain deflate; do
		key="1c-$w-$d"
		# shellcheck disable=SC2046
		cm=$(median $(vals "$key.rtps" c)); sm=$(median $(vals "$key.rtps" swift))
		ratio=$(quotient "$sm" "$cm")
		tcol="—"
		if [ "$d" = deflate ]; then
			tcol="≥ $TARGET"
			[[ "$ratio" =~ ^[0-9.]+$ ]] && { awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r >= t) }' && tcol="$tcol (met)" || tcol="$tcol (missed)"; }
		fi
		# shellcheck disable=SC2046
		ccpu=$(median $(vals "$key.cpu" c)); scpu=$(median $(vals "$key.cpu" swift))
		# shellcheck disable=SC2046
		echo "| $w 1 KiB | $d | $(fmt "$cm" 0) | $(fmt "$sm" 0) | $ratio | $tcol | $(range $(vals "$key.rtps" c)) | $(range $(vals "$key.rtps" swift)) | $(fmt "$(median $(vals "$key.wire" c))" 1) | $(fmt "$(median $(vals "$key.wire" swift))" 1) | $(fmt "$ccpu" 2) | $(fmt "$scpu" 2) | $(awk -v a="$scpu" -v b="$ccpu" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%+.2f", a - b; else print "n/a" }') |"
	done; done
	echo
	echo "Ratios round by round (Swift/C rt/s):"
	echo
	for w in $WORKLOADS; do for d in plain deflate; do
		key="1c-$w-$d"
		read -ra cv <<<"$(vals "$key.rtps" c)"; read -ra sv <<<"$(vals "$key.rtps" swift)"
		rr=""
		for i in "${!cv[@]}"; do rr="$rr${rr:+, }$(quotient "${sv[$i]:-}" "${cv[$i]}")"; done
		echo "- $w, $d: $rr"
	done; done
	echo
	echo "## 50 connections"
	echo
	echo "Swift: median of $RUNS50 runs$([ "$C50" = 1 ] && echo "; C: one run, for reference")."
	echo
	echo "| workload | deflate | Swift rt/s | Swift runs | wire B/rt | server CPU µs/msg | C rt/s (1 run) | C wire B/rt | C CPU µs/msg | C errors |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for w in $WORKLOADS; do for d in plain deflate; do
		key="50c-$w-$d"
		# shellcheck disable=SC2046
		echo "| $w 1 KiB | $d | $(fmt "$(median $(vals "$key.rtps" swift))" 0) | $(range $(vals "$key.rtps" swift)) | $(fmt "$(median $(vals "$key.wire" swift))" 1) | $(fmt "$(median $(vals "$key.cpu" swift))" 2) | $(fmt "$(median $(vals "$key.rtps" c))" 0) | $(fmt "$(median $(vals "$key.wire" c))" 1) | $(fmt "$(median $(vals "$key.cpu" c))" 2) | $(vals "$key.errs" c) |"
	done; done
	echo
	echo "## Memory: $IDLE_CONNS idle connections"
	echo
	echo "Server RSS (VmRSS) before connecting and $IDLE_SETTLE s after all $IDLE_CONNS connections were ready; KB per connection ="
	echo "(held − before) / $IDLE_CONNS. *silent*: upgrade only; *echoed*: each connection then echoed one 1 KiB json message"
	echo "(compressed in both directions when deflate is on)."
	echo
	echo "| connections | C KB/conn | Swift KB/conn | Swift/C | C RSS before → held (KB) | Swift RSS before → held (KB) |"
	echo "|---|---:|---:|---:|---|---|"
	for d in plain deflate; do for s in silent echoed; do
		key="idle-$d-$s"
		# shellcheck disable=SC2046
		cp=$(median $(vals "$key.per" c)); sp=$(median $(vals "$key.per" swift))
		echo "| $d, $s | $(fmt "$cp" 2) | $(fmt "$sp" 2) | $(quotient "$sp" "$cp") | $(vals "$key.before" c) → $(vals "$key.held" c) | $(vals "$key.before" swift) → $(vals "$key.held" swift) |"
	done; done
	if [ "$DISTURBED_RUNS" != 0 ]; then
		echo
		echo "Note: in $DISTURBED_RUNS of $TOTAL_RUNS echo runs, other processes used more than $DISTURBED_PCT% of a CPU while the run was measured; those figures are noisy (\`--wait-idle 60\` retries such runs twice)."
	fi
	probs=""
	for key in $(printf '%s\n' "${!NOTES[@]}" | cut -d'|' -f1 | sort -u); do
		probs="$probs- $key: $(notes_of "$key")"$'\n'
	done
	if [ -n "$probs" ]; then
		echo
		echo "## Problems seen"
		echo
		printf '%s' "$probs"
		echo
		echo "Server logs of those runs: \`Benchmarks/.build-bench/deflate-server-*-KEY-*.log\`; client log: \`Benchmarks/.build-bench/deflate-client.log\`."
	fi
)
echo
echo "$REPORT" >"$HERE/results-deflate.md"
cat "$HERE/results-deflate.md"
echo
echo "(written to $HERE/results-deflate.md)"
