#!/usr/bin/env bash
# RFC 6455 conformance: the Autobahn TestSuite fuzzingclient cases 1.* to 10.*
# (301 cases; there is no group 8), run by kosoku (PyPI, pinned by hash in
# requirements.txt) against the example server lws-echo-server on 127.0.0.1.
#
#   Tests/Conformance/run.sh [--server PATH] [--cases "1.* 2.10 ..."]
#
#   --server PATH   use this lws-echo-server binary instead of building one
#                   (default: swift build --product lws-echo-server, debug)
#   --cases LIST    case ids or globs to run instead of groups 1-10
#
# Installs kosoku into .build-conformance/venv (once; later runs only check
# it), builds and starts the server on port 0, runs the cases, stops the
# server, prints a summary and exits non-zero when a case fails that is not
# pinned in expected-failures.txt. Reports: .build-conformance/reports/.
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
CASES=$DEFAULT_CASES
SERVER=""

die() { echo "conformance: $*" >&2; exit 1; }
usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--server) SERVER=${2:?--server needs a path}; shift ;;
	--cases) CASES=${2:?--cases needs a list}; shift ;;
	-h|--help) usage 0 ;;
	*) echo "unknown argument: $1" >&2; usage 2 ;;
	esac
	shift
done

START=$(date +%s)
mkdir -p "$OUT"
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

# ---- kosoku, in a venv, pinned by hash ------------------------------------------

apt_install() {
	command -v apt-get >/dev/null 2>&1 || die "python3 with venv support is needed (install it, then rerun)"
	echo "== installing $* with apt-get"
	$SUDO apt-get update -qq
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
	die "kosoku needs Python >= 3.10; python3 is $(python3 -V 2>&1)"

# The venv is reused while the requirements and the interpreter stay the same.
STAMP="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0], sys.executable)')"
if [ -x "$VENV/bin/kosoku" ] && [ "$(cat "$VENV/.stamp" 2>/dev/null)" = "$STAMP" ] &&
	"$VENV/bin/python" -c 'import kosoku' 2>/dev/null; then
	:
else
	echo "== installing kosoku into ${VENV#"$ROOT"/} (requirements.txt, --require-hashes)"
	rm -rf "$VENV"
	if ! python3 -m venv "$VENV" 2>/dev/null; then
		rm -rf "$VENV"
		apt_install python3-venv # Debian splits ensurepip out of python3
		python3 -m venv "$VENV" || die "python3 -m venv failed"
	fi
	timeout 600 "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
		--require-hashes --only-binary=:all: -r "$HERE/requirements.txt" ||
		die "pip install -r Tests/Conformance/requirements.txt failed"
	echo "$STAMP" >"$VENV/.stamp"
fi
KOSOKU_VERSION=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("kosoku"))')

# ---- the server -----------------------------------------------------------------

if [ -z "$SERVER" ]; then
	echo "== building lws-echo-server (debug)"
	cd "$ROOT"
	timeout "$BUILD_TIMEOUT" "$SWIFT" build --product lws-echo-server ||
		die "swift build --product lws-echo-server failed (or took over ${BUILD_TIMEOUT}s)"
	SERVER="$(timeout 300 "$SWIFT" build --product lws-echo-server --show-bin-path)/lws-echo-server"
fi
[ -x "$SERVER" ] || die "no server binary at $SERVER"

rm -rf "$REPORTS"
mkdir -p "$REPORTS"
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
KOSOKU_PID=""
cleanup() {
	# timeout(1) passes the TERM on to kosoku
	[ -z "$KOSOKU_PID" ] || { kill -TERM "$KOSOKU_PID" 2>/dev/null || true; wait "$KOSOKU_PID" 2>/dev/null || true; }
	stop_server
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 9.1.6 and 9.2.6 send 16 MiB messages: make the limit explicit, not a default.
: >"$REPORTS/server.log"  # made here: the background job's redirection may come after the first read
"$SERVER" --host 127.0.0.1 --port 0 --max-message-size $((16 << 20)) >"$REPORTS/server.log" 2>&1 &
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

INCLUDE=()
set -f # the globs are kosoku's, not the shell's
for c in $CASES; do INCLUDE+=(-i "$c"); done
set +f
EXPECTED_TOTAL=0
[ "$CASES" = "$DEFAULT_CASES" ] && EXPECTED_TOTAL=$DEFAULT_CASE_COUNT

echo "== kosoku $KOSOKU_VERSION: Autobahn cases $CASES against lws-echo-server on $URL"
RUN_START=$(date +%s)
rc=0
# In the background, so that a signal to this script runs the trap at once.
timeout --kill-after=10 "$RUN_TIMEOUT" "$VENV/bin/kosoku" "$URL" "${INCLUDE[@]}" -o "$REPORTS/kosoku" \
	>"$REPORTS/kosoku.log" 2>&1 &
KOSOKU_PID=$!
wait "$KOSOKU_PID" || rc=$?
KOSOKU_PID=""
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

# ---- summary ------------------------------------------------------------------------

echo
echo "== summary: kosoku $KOSOKU_VERSION, cases ran in ${RUN_SECONDS}s, $(($(date +%s) - START))s in all;" \
	"reports in ${REPORTS#"$ROOT"/}/kosoku/index.html"
EXTRA=()
[ "$SERVER_ALIVE" = 1 ] || EXTRA+=(--problem "lws-echo-server exited during the run; see ${REPORTS#"$ROOT"/}/server.log")
status=0
(cd "$ROOT" && "$VENV/bin/python" "$HERE/summarize.py" \
	--reports "$REPORTS/kosoku" --expected "$HERE/expected-failures.txt" \
	--kosoku-log "$REPORTS/kosoku.log" --expected-total "$EXPECTED_TOTAL" \
	--lws-version "$(pkg-config --modversion libwebsockets 2>/dev/null || true)" "${EXTRA[@]}") |
	tee "$REPORTS/summary.txt" || status=$?
exit "$status"
