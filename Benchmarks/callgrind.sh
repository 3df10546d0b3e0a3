#!/usr/bin/env bash
# Instructions per round trip (issue 13): the C echo server and the Swift
# echo in each handler style, counted with valgrind --tool=callgrind, a
# figure the machine's noise does not move the way it moves throughput.
#
#   ./callgrind.sh [options]        -> results-callgrind.md
#
# For every server and connection count it makes two runs under callgrind,
# each with a fresh server:
#   full: lws-load --connections C --messages C+N   (exactly C+N round trips)
#   base: lws-load --connections C --messages C     (one per connection)
# and reports (Ir of full - Ir of base) / N: start-up, connecting, the first
# message on each connection, closing and shutting down are in both runs and
# cancel out.  Ir is every instruction of every thread of the server
# process (callgrind's total).  The base run's server is kept alive as long
# as the full run's was before it is stopped, so work an idle server does
# per second (timers) cancels out too.
#
# The Swift server is Benchmarks/lws-bench-echo (product lws-bench-echo),
# not the example: the example's async main parks the main thread in
# libdispatch's signal thread (sigsuspend), where valgrind 3.19 dies with an
# internal SIGSEGV.  lws-bench-echo serves the same echo through the same
# API with a synchronous main (see its README).
#
# Options:
#   --messages N            counted round trips per run (default 20000)
#   --connections "A B"     connection counts (default "1 50")
#   --styles "S …"          Swift styles (default "inline async closures")
#   --repeat R              full/base pairs per server and count (default 1);
#                           the table gives the min and median of the R
#   --bench-server PATH     use this lws-bench-echo instead of building it
#   --scratch-path DIR      swift build's scratch path, relative to the
#                           package root (default .build-bench)
#   --no-c / --c-only       leave out the C server / the Swift styles
#   --output PATH           results file (default Benchmarks/results-callgrind.md)
#
# Binaries, logs and callgrind.out files go to Benchmarks/.build-bench/
# (callgrind/ under it).  The server runs on CPU $SERVER_CPU (0), the load
# client on CPU $CLIENT_CPU (1); under valgrind the server's threads run one
# at a time and about 50 times slower, which changes timing (how many events
# one epoll_wait returns), so the counts vary a little from run to run: use
# --repeat 3 to see by how much.

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD="$HERE/.build-bench"
CGDIR="$BUILD/callgrind"
BENCH_NAME=callgrind.sh
WAIT_IDLE=0
# shellcheck source=measure.sh
. "$HERE/measure.sh"
CC=${CC:-cc}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}

MESSAGES=20000
CONNS="1 50"
STYLES="inline async closures"
REPEAT=1
BENCH_SERVER=""
SCRATCH=.build-bench
WITH_C=1
WITH_SWIFT=1
OUTPUT="$HERE/results-callgrind.md"
ARGS_USED=""; [ $# -gt 0 ] && ARGS_USED=$(printf ' %q' "$@")

usage() { awk 'NR > 1 && !/^#/ { print ""; exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "callgrind.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--messages) MESSAGES=${2:?}; shift ;;
	--connections) CONNS=${2:?}; shift ;;
	--styles) STYLES=${2:?}; shift ;;
	--repeat) REPEAT=${2:?}; shift ;;
	--bench-server) BENCH_SERVER=${2:?}; shift ;;
	--scratch-path) SCRATCH=${2:?}; shift ;;
	--no-c) WITH_C=0 ;;
	--c-only) WITH_SWIFT=0 ;;
	--output) OUTPUT=${2:?}; shift ;;
	-h|--help) usage 0 ;;
	*) echo "unknown argument: $1" >&2; usage 2 ;;
	esac
	shift
done
[[ "$MESSAGES" =~ ^[1-9][0-9]*$ ]] || die "--messages: a positive number"
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "--repeat: a positive number"
for s in $STYLES; do
	case "$s" in inline|async|closures) ;; *) die "--styles: inline, async, closures" ;; esac
done
command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"

raise_fd_limit
pin_cpus
mkdir -p "$BUILD" "$CGDIR"
CLIENT_LOG="$BUILD/callgrind-client.log"
: >"$CLIENT_LOG"

build_c_programs
BENCH_BIN=""
if [ "$WITH_SWIFT" = 1 ]; then
	if [ -n "$BENCH_SERVER" ]; then
		[ -x "$BENCH_SERVER" ] || die "--bench-server $BENCH_SERVER is not an executable"
		BENCH_BIN=$BENCH_SERVER
	else
		echo "== building: swift build -c release --product lws-bench-echo --scratch-path $SCRATCH"
		if (cd "$ROOT" && swift build -c release --product lws-bench-echo --scratch-path "$SCRATCH") >"$BUILD/swift-build-bench-echo.log" 2>&1; then
			BENCH_BIN="$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/lws-bench-echo"
		else
			tail -n 25 "$BUILD/swift-build-bench-echo.log" >&2
			die "lws-bench-echo does not build; full log: $BUILD/swift-build-bench-echo.log"
		fi
	fi
fi

SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; }
trap cleanup EXIT
trap 'echo; echo "callgrind.sh: interrupted" >&2; exit 130' INT TERM

# servers: c, and one per style
servers() {
	[ "$WITH_C" = 1 ] && echo c
	if [ "$WITH_SWIFT" = 1 ]; then for s in $STYLES; do echo "$s"; done; fi
}

# total_ir FILE -> the "totals:" (or "summary:") of a callgrind.out file
total_ir() { awk '/^(totals|summary):/ { print $2; exit }' "$1" 2>/dev/null; }

# cg_run SERVER CONNS MESSAGES TAG [HOLD_UNTIL_S]: one run under callgrind; sets CG_IR (the
# server's total Ir) and CG_WALL (seconds from its start to SIGTERM). The server stays up at
# least HOLD_UNTIL_S seconds (the base run as long as its full run). Returns 1 on any failure.
# (Not called in a $(...) subshell, so that SERVER_PID and the EXIT trap see the server.)
cg_run() {
	local server=$1 conns=$2 msgs=$3 tag=$4 hold=${5:-0}
	local out="$CGDIR/$server-$conns-$tag.out" log="$CGDIR/$server-$conns-$tag.log"
	local port="" line="" i t0 t1 rc=0 left ir
	local -a cmd
	if [ "$server" = c ]; then cmd=("$C_BIN" --port 0)
	else cmd=("$BENCH_BIN" --style "$server" --port 0); fi
	rm -f "$out"
	t0=$(now_s)
	"${PIN_SERVER[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" "${cmd[@]}" >"$log" 2>&1 &
	SERVER_PID=$!
	for i in $(seq 1 1200); do   # up to 60 s: valgrind starts slowly
		port=$(grep -m1 -o 'listening on ws://[^[:space:]]*' "$log" | sed 's/.*:\([0-9][0-9]*\).*/\1/')
		[ -n "$port" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		echo "callgrind.sh: $server did not start under valgrind; log: $log" >&2
		stop_server
		return 1
	fi
	echo "--- $server $conns conns, $msgs messages ($tag)" >>"$CLIENT_LOG"
	line=$("${PIN_CLIENT[@]}" "$LOAD_BIN" --url "ws://127.0.0.1:$port/" --connections "$conns" \
		--size 64 --text --messages "$msgs" --duration 600 2>>"$CLIENT_LOG" | grep '^RESULT') || rc=$?
	left=$(awk -v t0="$t0" -v now="$(now_s)" -v h="$hold" 'BEGIN { l = h - (now - t0); print (l > 0 ? l : 0) }')
	sleep "$left"
	t1=$(now_s)
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "callgrind.sh: $server died during the run; log: $log" >&2
		wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
		return 1
	fi
	# stop_server waits 5 s before it kills; callgrind writes its file at exit, so be patient
	kill -TERM "$SERVER_PID" 2>/dev/null
	for i in $(seq 1 1200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
	stop_server
	if [ "$rc" != 0 ] || [ "$(field roundtrips "$line")" != "$msgs" ] || [ "$(field errors "$line")" != 0 ]; then
		echo "callgrind.sh: $server $conns conns: the load client failed (rc $rc): ${line:-no RESULT line}; see $CLIENT_LOG" >&2
		return 1
	fi
	ir=$(total_ir "$out")
	[ -n "$ir" ] || { echo "callgrind.sh: no total in $out; log: $log" >&2; return 1; }
	CG_IR=$ir
	CG_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}

declare -A IRS    # "server|conns" -> Ir per round trip, one per repeat
declare -A BASES  # "server|conns" -> Ir of the base runs
declare -A FULLS  # "server|conns" -> Ir of the full runs
declare -A FAILS
add() { local -n m=$1; m["$2"]="${m["$2"]:-}${m["$2"]:+ }$3"; }

echo "== callgrind: $MESSAGES counted round trips per run (64 B text), connections: $CONNS, repeat $REPEAT"
echo "   servers: $(servers | paste -sd ' ' -)${BENCH_BIN:+ (Swift: $BENCH_BIN)}"
for r in $(seq 1 "$REPEAT"); do
	for n in $CONNS; do
		for s in $(servers); do
			cg_run "$s" "$n" $((n + MESSAGES)) full || { add FAILS "$s|$n" x; continue; }
			fir=$CG_IR; fwall=$CG_WALL
			cg_run "$s" "$n" "$n" base "$fwall" || { add FAILS "$s|$n" x; continue; }
			bir=$CG_IR; bwall=$CG_WALL
			per=$(awk -v f="$fir" -v b="$bir" -v m="$MESSAGES" 'BEGIN { printf "%.0f", (f - b) / m }')
			add IRS "$s|$n" "$per"; add BASES "$s|$n" "$bir"; add FULLS "$s|$n" "$fir"
			printf '  %-9s %3s conns: full %13s Ir (%5.1f s)  base %13s Ir (%5.1f s)  -> %7s Ir per round trip\n' \
				"$s" "$n" "$fir" "$fwall" "$bir" "$bwall" "$per"
		done
	done
done

# minimum of the numeric values, or n/a
minimum() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk 'NR == 1 { print; f = 1 } END { if (!f) print "n/a" }'; }
name() { case "$1" in c) echo "C (lws-c-echo-server)" ;; async) echo "Swift, async handler" ;; closures) echo "Swift, async closures" ;; *) echo "Swift, $1" ;; esac; }

TABLE=$(
	echo "| server | connections | Ir per round trip, min | median | × C (median) | base run Ir (median) | full run Ir (median) |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for n in $CONNS; do
		# shellcheck disable=SC2086
		cmed=$(median ${IRS["c|$n"]:-})
		for s in $(servers); do
			# shellcheck disable=SC2086
			mn=$(minimum ${IRS["$s|$n"]:-}); md=$(median ${IRS["$s|$n"]:-})
			# shellcheck disable=SC2086
			echo "| $(name "$s") | $n | $(fmt "$mn" 0) | $(fmt "$md" 0) | $(quotient "$md" "$cmed")" \
				"| $(fmt "$(median ${BASES["$s|$n"]:-})" 0) | $(fmt "$(median ${FULLS["$s|$n"]:-})" 0) |"
		done
	done
)

{
	echo "# Instructions per round trip (callgrind)"
	echo
	echo "Generated by \`Benchmarks/callgrind.sh$ARGS_USED\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo
	echo "- $(valgrind --version) \`--tool=callgrind\`, default options; libwebsockets $(pkg-config --modversion libwebsockets 2>/dev/null | sed 's/-$//')"
	[ "$WITH_SWIFT" = 1 ] && echo "- $(swift --version 2>/dev/null | head -n 1); Swift server: \`lws-bench-echo --style STYLE --port 0\` (the example's handlers, synchronous main; Benchmarks/lws-bench-echo)"
	[ "$WITH_C" = 1 ] && echo "- C server: \`lws-c-echo-server --port 0\`"
	echo "- Per server and connection count: a *full* run of (connections + $MESSAGES) round trips and a *base* run of one round trip per connection, each a fresh server under callgrind, driven by \`lws-load --messages\` (64 B text, one message in flight per connection); Ir per round trip = (full − base) / $MESSAGES, Ir summed over every thread of the server; the base run's server lives as long as the full run's"
	echo "- Counts, not times: they do not depend on how busy the machine is, but the server runs one thread at a time and ~50 times slower under valgrind, so batching (events per \`epoll_wait\`, hops to the cooperative pool) differs from a real run"
	echo "- $REPEAT full/base pair(s) each; × C = Swift median / C median"
	echo
	echo "$TABLE"
	for k in "${!FAILS[@]}"; do
		echo; echo "Failed: $(name "${k%%|*}") with ${k#*|} connections, $(wc -w <<<"${FAILS[$k]}") of $REPEAT pairs; logs in \`$CGDIR\`"
	done
	echo
	echo "<details><summary>All pairs</summary>"
	echo
	echo "| server | connections | Ir per round trip | base Ir | full Ir |"
	echo "|---|---:|---|---|---|"
	for n in $CONNS; do for s in $(servers); do
		echo "| $s | $n | ${IRS["$s|$n"]:-} | ${BASES["$s|$n"]:-} | ${FULLS["$s|$n"]:-} |"
	done; done
	echo
	echo "</details>"
} >"$OUTPUT"

echo
echo "$TABLE"
echo
echo "(written to $OUTPUT)"
