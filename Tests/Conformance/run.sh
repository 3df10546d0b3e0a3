#!/usr/bin/env bash
# RFC 6455 conformance: the Autobahn TestSuite fuzzingclient cases 1.* to 10.*
# (301 cases; there is no group 8), run by kosoku (PyPI, pinned by hash in
# requirements.txt) against the example server lws-echo-server on 127.0.0.1.
#
#   Tests/Conformance/run.sh [--server PATH] [--cases "1.* 2.10 ..."]
#                            [--deflate] [--parallel N] [--release] [--client]
#
#   --server PATH   use this lws-echo-server binary instead of building one
#                   (default: swift build --product lws-echo-server, debug)
#   --cases LIST    case ids or globs to run instead of groups 1-10
#   --deflate       permessage-deflate: the server runs with --deflate and the
#                   default cases become groups 12 and 13 (216 cases)
#   --parallel N    run N cases at once (kosoku -p N; default 1)
#   --release       build the server in release mode (deflate cases carry
#                   megabytes each; a debug build can miss kosoku's time limit)
#   --client        test the client instead: kosoku is the fuzzing server and
#                   lws-autobahn-client runs the cases (N at once with --parallel;
#                   offering permessage-deflate with --deflate)
#
# Installs kosoku into .build-conformance/venv (once; later runs only check
# it), builds and starts the server on port 0, runs the cases, stops the
# server, prints a summary and exits non-zero when a case fails that is not
# pinned in expected-failures.txt (expected-failures-client.txt with --client).
# Reports: .build-conformance/reports/ (client/ and deflate/ below it).
# Environment: SWIFT (default swift), CONFORMANCE_BUILD_TIMEOUT (s, 1800),
# CONFORMANCE_RUN_TIMEOUT (s, 600; a run takes about 15 s).

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$ROOT/.build-conformance"
VENV="$OUT/venv"
REPORTS="$OUT/reports"
SWIFT=${SWIFT:-swift}
BUILD_TIMEOUT=${CONFORMANCE_BUILD_TIMEOUT:-1800}
RUN_TIMEOUT=${CONFORMANCE_RUN_TIMEOUT:-600}
START_TIMEOUT=60
DEFAULT_CASES="1.* 2.* 3.* 4.* 5.* 6.* 7.* 9.* 10.*"
DEFAULT_CASE_COUNT=301 # what kosoku 0.1.0 holds for DEFAULT_CASES
CASES=""
SERVER=""
DEFLATE=0
CLIENT=0
PARALLEL=1
CONFIG=debug

die() { echo "conformance: $*" >&2; exit 1; }
usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--server) SERVER=${2:?--server needs a path}; shift ;;
	--cases) CASES=${2:?--cases needs a list}; shift ;;
	--deflate) DEFLATE=1 ;;
	--parallel) PARALLEL=${2:?--parallel needs a number}; shift ;;
	--release) CONFIG=release ;;
	--client) CLIENT=1 ;;
	-h|--help) usage 0 ;;
	*) echo "unknown argument: $1" >&2; usage 2 ;;
	esac
	shift
done

if [ "$DEFLATE" = 1 ]; then
	DEFAULT_CASES="12.* 13.*"
	DEFAULT_CASE_COUNT=216
	OUT="$OUT/deflate"
	REPORTS="$OUT/reports"
	VENV="$ROOT/.build-conformance/venv"
fi
if [ "$CLIENT" = 1 ]; then
	OUT="$OUT/client"
	REPORTS="$OUT/reports"
	VENV="$ROOT/.build-conformance/venv"
	[ -z "$SERVER" ] || die "--server does not go with --client"
fi
[ -n "$CASES" ] || CASES=$DEFAULT_CASES
case "$PARALLEL" in '' | *[!0-9]* | 0) die "--parallel needs a positive number" ;; esac

START=$(date +%s)
mkdir -p "$OUT"

# ---- kosoku, in a venv, pinned by hash ------------------------------------------

# shellcheck source=../../scripts/pinned-venv.sh
. "$ROOT/scripts/pinned-venv.sh"
ensure_pinned_venv "$VENV" "$HERE/requirements.txt" kosoku 10
KOSOKU_VERSION=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("kosoku"))')

# ---- reports, the process under test, and the cases --------------------------------

rm -rf "$REPORTS"
mkdir -p "$REPORTS"
SERVER_PID=""  # the server: lws-echo-server, or kosoku's fuzzing server with --client
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
RUNNER_PID=""  # what drives the cases: kosoku, or lws-autobahn-client with --client
cleanup() {
	# timeout(1) passes the TERM on
	[ -z "$RUNNER_PID" ] || { kill -TERM "$RUNNER_PID" 2>/dev/null || true; wait "$RUNNER_PID" 2>/dev/null || true; }
	stop_server
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

INCLUDE=()
set -f # the globs are kosoku's, not the shell's
for c in $CASES; do INCLUDE+=(-i "$c"); done
set +f
EXPECTED_TOTAL=0
[ "$CASES" = "$DEFAULT_CASES" ] && EXPECTED_TOTAL=$DEFAULT_CASE_COUNT

if [ "$CLIENT" = 0 ]; then

# ---- the server -----------------------------------------------------------------

if [ -z "$SERVER" ]; then
	echo "== building lws-echo-server ($CONFIG)"
	cd "$ROOT"
	timeout "$BUILD_TIMEOUT" "$SWIFT" build -c "$CONFIG" --product lws-echo-server ||
		die "swift build --product lws-echo-server failed (or took over ${BUILD_TIMEOUT}s)"
	SERVER="$(timeout 300 "$SWIFT" build -c "$CONFIG" --product lws-echo-server --show-bin-path)/lws-echo-server"
fi
[ -x "$SERVER" ] || die "no server binary at $SERVER"

# 9.1.6 and 9.2.6 send 16 MiB messages: make the limit explicit, not a default.
: >"$REPORTS/server.log"  # made here: the background job's redirection may come after the first read
SERVER_FLAGS=()
[ "$DEFLATE" = 1 ] && SERVER_FLAGS+=(--deflate)
"$SERVER" --host 127.0.0.1 --port 0 --max-message-size $((16 << 20)) "${SERVER_FLAGS[@]}" >"$REPORTS/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 $((START_TIMEOUT * 10))); do
	PORT=$(sed -n 's#^listening on ws://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$REPORTS/server.log" | head -n1)
	[ -n "$PORT" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$REPORTS/server.log" >&2; die "the server exited before listening"; }
	sleep 0.1
done
[ -n "$PORT" ] || { tail -n 20 "$REPORTS/server.log" >&2; die "the server printed no 'listening on' line in ${START_TIMEOUT}s"; }
URL="ws://127.0.0.1:$PORT"

# ---- the cases --------------------------------------------------------------------

echo "== kosoku $KOSOKU_VERSION: Autobahn cases $CASES against lws-echo-server${SERVER_FLAGS[*]:+ ${SERVER_FLAGS[*]}} on $URL, $PARALLEL at once"
RUN_START=$(date +%s)
rc=0
# In the background, so that a signal to this script runs the trap at once.
timeout --kill-after=10 "$RUN_TIMEOUT" "$VENV/bin/kosoku" "$URL" "${INCLUDE[@]}" -p "$PARALLEL" -o "$REPORTS/kosoku" \
	>"$REPORTS/kosoku.log" 2>&1 &
RUNNER_PID=$!
wait "$RUNNER_PID" || rc=$?
RUNNER_PID=""
RUN_SECONDS=$(($(date +%s) - RUN_START))
# kosoku exits 1 when any case fails, expected or not; the summary decides.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	tail -n 20 "$REPORTS/kosoku.log" >&2
	[ "$rc" -eq 124 ] && die "kosoku took over ${RUN_TIMEOUT}s"
	die "kosoku exited with $rc"
fi
[ -f "$REPORTS/kosoku/index.json" ] || { tail -n 20 "$REPORTS/kosoku.log" >&2; die "kosoku wrote no report"; }

SERVER_ALIVE=1
kill -0 "$SERVER_PID" 2>/dev/null || SERVER_ALIVE=0
stop_server

else

# ---- the client against kosoku's fuzzing server -----------------------------------

echo "== building lws-autobahn-client ($CONFIG)"
cd "$ROOT"
timeout "$BUILD_TIMEOUT" "$SWIFT" build -c "$CONFIG" --product lws-autobahn-client ||
	die "swift build --product lws-autobahn-client failed (or took over ${BUILD_TIMEOUT}s)"
CLIENT_BIN="$(timeout 300 "$SWIFT" build -c "$CONFIG" --product lws-autobahn-client --show-bin-path)/lws-autobahn-client"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
: >"$REPORTS/kosoku.log"
"$VENV/bin/kosoku" -m fuzzingserver "127.0.0.1:$PORT" "${INCLUDE[@]}" -o "$REPORTS/kosoku" >"$REPORTS/kosoku.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 $((START_TIMEOUT * 10))); do
	grep -q "fuzzingserver listening" "$REPORTS/kosoku.log" && break
	kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$REPORTS/kosoku.log" >&2; die "kosoku exited before listening"; }
	sleep 0.1
done
grep -q "fuzzingserver listening" "$REPORTS/kosoku.log" || die "kosoku did not listen in ${START_TIMEOUT}s"

CLIENT_FLAGS=(--parallel "$PARALLEL")
[ "$DEFLATE" = 1 ] && CLIENT_FLAGS+=(--deflate)
echo "== kosoku $KOSOKU_VERSION fuzzingserver: Autobahn cases $CASES for lws-autobahn-client ${CLIENT_FLAGS[*]}"
RUN_START=$(date +%s)
rc=0
timeout --kill-after=10 "$RUN_TIMEOUT" "$CLIENT_BIN" "ws://127.0.0.1:$PORT" "${CLIENT_FLAGS[@]}" >"$REPORTS/client.log" 2>&1 &
RUNNER_PID=$!
wait "$RUNNER_PID" || rc=$?
RUNNER_PID=""
RUN_SECONDS=$(($(date +%s) - RUN_START))
# kosoku writes its reports after the client's updateReports call; give it time to finish.
for _ in $(seq 1 600); do
	[ -f "$REPORTS/kosoku/index.json" ] && break
	sleep 0.1
done
sleep 1
stop_server
if [ "$rc" -ne 0 ]; then
	tail -n 20 "$REPORTS/client.log" >&2
	[ "$rc" -eq 124 ] && die "lws-autobahn-client took over ${RUN_TIMEOUT}s"
	die "lws-autobahn-client exited with $rc"
fi
[ -f "$REPORTS/kosoku/index.json" ] || { tail -n 20 "$REPORTS/kosoku.log" >&2; die "kosoku wrote no report"; }
SERVER_ALIVE=1

fi

# ---- summary ------------------------------------------------------------------------

echo
echo "== summary: kosoku $KOSOKU_VERSION, cases ran in ${RUN_SECONDS}s, $(($(date +%s) - START))s in all;" \
	"reports in ${REPORTS#"$ROOT"/}/kosoku/index.html"
EXTRA=()
[ "$SERVER_ALIVE" = 1 ] || EXTRA+=(--problem "lws-echo-server exited during the run; see ${REPORTS#"$ROOT"/}/server.log")
EXPECTED_LIST="$HERE/expected-failures.txt"
# The pinned failures are lws's own behaviour in groups 1-10, the server's and the client's
# (expected-failures-client.txt); nothing is expected to fail in groups 12 and 13.
if [ "$CLIENT" = 1 ]; then EXPECTED_LIST="$HERE/expected-failures-client.txt"; fi
if [ "$DEFLATE" = 1 ]; then EXPECTED_LIST="$OUT/none.txt"; printf 'libwebsockets 4.1.6\n' >"$EXPECTED_LIST"; fi
status=0
(cd "$ROOT" && "$VENV/bin/python" "$HERE/summarize.py" \
	--reports "$REPORTS/kosoku" --expected "$EXPECTED_LIST" \
	--kosoku-log "$REPORTS/kosoku.log" --expected-total "$EXPECTED_TOTAL" \
	--lws-version "$(pkg-config --modversion libwebsockets 2>/dev/null || true)" "${EXTRA[@]}") |
	tee "$REPORTS/summary.txt" || status=$?
exit "$status"
