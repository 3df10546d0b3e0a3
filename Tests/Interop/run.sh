#!/usr/bin/env bash
# Interop with another implementation: Python's websockets (PyPI, pinned by hash in
# requirements.txt) against this package, over 127.0.0.1, in both roles.
#
#   Tests/Interop/run.sh [--peer PATH] [--echo-server PATH]
#
#   --peer PATH         use this lws-interop-peer binary instead of building one
#   --echo-server PATH  use this lws-echo-server binary instead of building one
#
# Three parts, each checking every answer and failing on any mismatch:
#   1. py_client.py (websockets' client) against lws-interop-peer serve: text, UTF-8, binary,
#      empty, fragmented and 10 MiB messages with the frames they come back in, a ping each
#      way, close 4001 from Python (echoed, and reported as received by the server) and
#      close 4002 from the server;
#   2. py_client.py --echo-only against the example lws-echo-server: the same echoes, Python's
#      ping and its close 4001 (the example knows no commands);
#   3. lws-interop-peer check (this package's client) against py_server.py (websockets'
#      server): the same messages, the frames Python counted, a ping each way, close 4001 from
#      Swift and close 4002 from Python.
# Installs websockets into .build-interop/venv (once; later runs only check it), builds the two
# Swift programs (debug) unless given, and prints "interop: N passed, N failed" (N checks) last.
# Logs: .build-interop/logs/. Environment: SWIFT (default swift), INTEROP_BUILD_TIMEOUT (s, 1800),
# INTEROP_RUN_TIMEOUT (s per part, 180; a part takes a few seconds).

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$ROOT/.build-interop"
VENV="$OUT/venv"
LOGS="$OUT/logs"
SWIFT=${SWIFT:-swift}
BUILD_TIMEOUT=${INTEROP_BUILD_TIMEOUT:-1800}
RUN_TIMEOUT=${INTEROP_RUN_TIMEOUT:-180}
START_TIMEOUT=60
PEER=""
ECHO_SERVER=""

die() { echo "interop: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--peer) PEER=${2:?--peer needs a path}; shift ;;
	--echo-server) ECHO_SERVER=${2:?--echo-server needs a path}; shift ;;
	-h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

START=$(date +%s)
mkdir -p "$OUT"

# ---- websockets, in a venv, pinned by hash ------------------------------------------

# shellcheck source=../../scripts/pinned-venv.sh
. "$ROOT/scripts/pinned-venv.sh"
ensure_pinned_venv "$VENV" "$HERE/requirements.txt" websockets 11
PY="$VENV/bin/python"
WS_VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("websockets"))')

# ---- the Swift programs ----------------------------------------------------------------

build() { # product -> path of the debug binary
	(cd "$ROOT" && timeout "$BUILD_TIMEOUT" "$SWIFT" build --product "$1" >&2) ||
		die "swift build --product $1 failed (or took over ${BUILD_TIMEOUT}s)"
	echo "$(cd "$ROOT" && timeout 300 "$SWIFT" build --product "$1" --show-bin-path)/$1"
}
if [ -z "$PEER" ]; then echo "== building lws-interop-peer (debug)"; PEER=$(build lws-interop-peer); fi
if [ -z "$ECHO_SERVER" ]; then echo "== building lws-echo-server (debug)"; ECHO_SERVER=$(build lws-echo-server); fi
[ -x "$PEER" ] || die "no lws-interop-peer at $PEER"
[ -x "$ECHO_SERVER" ] || die "no lws-echo-server at $ECHO_SERVER"

# ---- servers and parts ---------------------------------------------------------------------

rm -rf "$LOGS"
mkdir -p "$LOGS"
SERVER_PID=""
stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	local pid=$SERVER_PID i
	SERVER_PID=""
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do # 10 s to close its connections and exit
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
RUNNER_PID=""
cleanup() {
	[ -z "$RUNNER_PID" ] || { kill -TERM "$RUNNER_PID" 2>/dev/null || true; wait "$RUNNER_PID" 2>/dev/null || true; }
	stop_server
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server LOG COMMAND...: starts it and sets URL from its "listening on ws://..." line.
start_server() {
	local log=$1 port=""
	shift
	: >"$log"
	"$@" >"$log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 $((START_TIMEOUT * 10))); do
		port=$(sed -n 's#^listening on ws://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$log" | head -n1)
		[ -n "$port" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$log" >&2; die "$1 exited before listening"; }
		sleep 0.1
	done
	[ -n "$port" ] || { tail -n 20 "$log" >&2; die "$1 printed no 'listening on' line in ${START_TIMEOUT}s"; }
	URL="ws://127.0.0.1:$port"
}

PASSED=0
FAILED=0
SUMMARY=()
# part NAME LOG COMMAND...: runs the checks against the server started last, then stops it.
part() {
	local name=$1 log=$2 rc=0 ok bad t0
	shift 2
	echo "== $name ($URL)"
	t0=$(date +%s)
	timeout --kill-after=10 "$RUN_TIMEOUT" "$@" >"$log" 2>&1 &
	RUNNER_PID=$!
	wait "$RUNNER_PID" || rc=$?
	RUNNER_PID=""
	sed 's/^/   /' "$log"
	ok=$(grep -c '^ok - ' "$log" || true)
	bad=$(grep -c '^FAIL - ' "$log" || true)
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; echo "   FAIL - exited with $rc$([ "$rc" -eq 124 ] && echo " (over ${RUN_TIMEOUT}s)")"; fi
	if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then bad=1; echo "   FAIL - no check ran"; fi
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then bad=$((bad + 1)); echo "   FAIL - the server died during the part (log: ${LOGS#"$ROOT"/})"; fi
	stop_server
	PASSED=$((PASSED + ok))
	FAILED=$((FAILED + bad))
	SUMMARY+=("$(printf '%-50s %3d ok, %d failed, %ss' "$name" "$ok" "$bad" "$(($(date +%s) - t0))")")
}

echo "== websockets $WS_VERSION (Python $(python3 -c 'import sys; print(sys.version.split()[0])'))"

start_server "$LOGS/peer-server.log" "$PEER" serve --host 127.0.0.1 --port 0
part "1. websockets client -> lws-interop-peer serve" "$LOGS/python-client.log" \
	"$PY" "$HERE/py_client.py" "$URL"

start_server "$LOGS/echo-server.log" "$ECHO_SERVER" --host 127.0.0.1 --port 0 --max-message-size $((16 << 20))
part "2. websockets client -> lws-echo-server" "$LOGS/python-client-echo.log" \
	"$PY" "$HERE/py_client.py" "$URL" --echo-only

start_server "$LOGS/python-server.log" "$PY" "$HERE/py_server.py"
part "3. lws-interop-peer check -> websockets server" "$LOGS/swift-client.log" \
	"$PEER" check "$URL"

echo
echo "== summary: websockets $WS_VERSION, $(($(date +%s) - START))s in all; logs in ${LOGS#"$ROOT"/}"
printf '   %s\n' "${SUMMARY[@]}"
echo "interop: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
