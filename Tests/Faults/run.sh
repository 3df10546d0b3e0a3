#!/usr/bin/env bash
# The fault cases too slow or too strict for the unit suite (make faults):
#
#   1. refusal flood: lws-echo-server --max-connections 101, then 2,000 connects in a burst, 20
#      at a time, by Python's websockets (pinned by hash in requirements.txt): exactly 100
#      served, every other attempt read by websockets as InvalidStatus with HTTP 503 and a
#      Retry-After header, each answered within 100 ms, a bystander echoing throughout
#      (refusal-flood.py);
#   2. slow consumer: lws-fault-server sends 100 MiB to a raw client that reads 10 KiB/s for
#      60 s; the server's RSS, from /proc, stays within maxBackpressure (1 MiB) plus 2 MiB, its
#      send waits with at most maxBackpressure plus one message queued, and fresh connections
#      echo every two seconds meanwhile (slow-consumer.py).
#
#   Tests/Faults/run.sh [--debug] [--only flood|slow] [--seconds N]
#
#   --debug      build debug instead of release (release is what the 100 ms is promised for)
#   --only X     run one of the two
#   --seconds N  the slow consumer's length (default 60)
#
# Builds into .build-faults (SCRATCH_PATH overrides), installs websockets into
# .build-faults/venv once, and exits non-zero when a check fails. Environment: SWIFT.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SWIFT=${SWIFT:-swift}
SCRATCH=${SCRATCH_PATH:-$ROOT/.build-faults}
VENV="$ROOT/.build-faults/venv"
CONFIG=release
ONLY=""
SECONDS_SLOW=60

die() { echo "faults: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--debug) CONFIG=debug ;;
	--only) ONLY=${2:?--only needs flood or slow}; shift ;;
	--seconds) SECONDS_SLOW=${2:?--seconds needs a number}; shift ;;
	-h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

# shellcheck source=../../scripts/pinned-venv.sh
. "$ROOT/scripts/pinned-venv.sh"
ensure_pinned_venv "$VENV" "$HERE/requirements.txt" websockets 11

echo "faults: building lws-echo-server and lws-fault-server ($CONFIG)"
for product in lws-echo-server lws-fault-server; do
	"$SWIFT" build -c "$CONFIG" --scratch-path "$SCRATCH" --product "$product" >/dev/null
done
BIN=$("$SWIFT" build -c "$CONFIG" --scratch-path "$SCRATCH" --show-bin-path)

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts "$@" with its output in $LOG, waits for its "listening on" line; sets PORT and PID.
start_server() {
	LOG=$(mktemp)
	"$@" >"$LOG" 2>&1 &
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 100); do
		PORT=$(sed -n 's/^listening on ws:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | head -1)
		[ -n "$PORT" ] && return 0
		kill -0 "$PID" 2>/dev/null || { cat "$LOG"; die "$1 exited"; }
		sleep 0.1
	done
	cat "$LOG"
	die "$1 did not start"
}

FAILED=0
if [ -z "$ONLY" ] || [ "$ONLY" = flood ]; then
	start_server "$BIN/lws-echo-server" --host 127.0.0.1 --port 0 --max-connections 101 --log-level error
	"$VENV/bin/python" "$HERE/refusal-flood.py" --url "ws://127.0.0.1:$PORT/" --max-connections 101 \
		--attempts 2000 --concurrency 20 --max-ms 100 || FAILED=1
	kill "$PID"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = slow ]; then
	start_server "$BIN/lws-fault-server" --port 0 --max-backpressure $((1 << 20)) --firehose-bytes $((100 << 20)) \
		--message-size $((64 << 10))
	"$VENV/bin/python" "$HERE/slow-consumer.py" --port "$PORT" --pid "$PID" --seconds "$SECONDS_SLOW" --rate $((10 << 10)) \
		--max-backpressure $((1 << 20)) --message-size $((64 << 10)) --firehose-bytes $((100 << 20)) --slack-mib 2 || FAILED=1
	kill "$PID"
fi
[ "$FAILED" = 0 ] && echo "faults: all checks passed" || die "a check failed"
