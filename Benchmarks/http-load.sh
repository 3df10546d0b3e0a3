#!/usr/bin/env bash
# HTTP beside the WebSocket, under load: wrk (Debian) against "/healthz" (a route) and a
# static file, on the Swift example (lws-echo-server --static DIR) and on a plain C lws
# server doing the same work (c-http-server/lws-c-http-server.c: the same folder through
# lws's file mount, /healthz through a callback mount). Each target is loaded for
# DURATION seconds, twice per server; while wrk runs, a WebSocket client echoes on the same
# port every 0.2 s and each echo must come back.
#
#   Benchmarks/http-load.sh [--duration S] [--connections N] [--swift-server PATH]
#
# Checks: zero wrk errors (socket errors and non-2xx answers), the server's RSS after the
# second round within 5 % of its RSS after the first (warm against warm), and every
# WebSocket echo answered. Prints a table of requests/s (Swift, C, ratio) and exits
# non-zero when a check fails. Output and logs: Benchmarks/.build-http/.
# The server runs on CPU $SERVER_CPU (0), wrk on CPU $CLIENT_CPU (1).

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT="$HERE/.build-http"
DURATION=10
CONNECTIONS=50
SWIFT_BIN=""
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}

die() { echo "http-load: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=${2:?}; shift ;;
	--connections) CONNECTIONS=${2:?}; shift ;;
	--swift-server) SWIFT_BIN=${2:?}; shift ;;
	-h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
if ! command -v wrk >/dev/null 2>&1; then
	echo "== installing wrk with apt-get"
	$SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || die "could not install wrk"
fi
PIN_SERVER=(); PIN_CLIENT=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	PIN_SERVER=(taskset -c "$SERVER_CPU"); PIN_CLIENT=(taskset -c "$CLIENT_CPU")
fi

mkdir -p "$OUT"
echo "== building the C server and the Swift example (release)"
cc -O2 -Wall -Wextra -o "$OUT/lws-c-http-server" "$HERE/c-http-server/lws-c-http-server.c" \
	$(pkg-config --cflags --libs libwebsockets) || die "building the C server failed"
if [ -z "$SWIFT_BIN" ]; then
	(cd "$ROOT" && swift build -c release --product lws-echo-server --product lws-client) >"$OUT/swift-build.log" 2>&1 ||
		{ tail -n 20 "$OUT/swift-build.log" >&2; die "swift build failed"; }
	SWIFT_BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/lws-echo-server"
fi
CLIENT_BIN="$(dirname "$SWIFT_BIN")/lws-client"
[ -x "$CLIENT_BIN" ] || (cd "$ROOT" && swift build -c release --product lws-client >/dev/null 2>&1) || die "no lws-client"

# The folder both servers serve: a 16 KiB page.
SITE="$OUT/site"
rm -rf "$SITE" && mkdir -p "$SITE"
{ echo "<!doctype html><title>load</title><pre>"; head -c 12000 /dev/urandom | base64; echo "</pre>"; } | head -c 16384 >"$SITE/page.html"
echo "<h1>index</h1>" >"$SITE/index.html"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
SERVER_PID=""; PINGER_PID=""
cleanup() {
	[ -n "$PINGER_PID" ] && kill "$PINGER_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT

start_server() { # start_server c|swift -> SERVER_PID, PORT
	local log="$OUT/server-$1.log" i
	if [ "$1" = c ]; then
		"${PIN_SERVER[@]}" stdbuf -oL "$OUT/lws-c-http-server" --port 0 --static "$SITE" --fd-limit $((CONNECTIONS + 64)) >"$log" 2>&1 &
	else
		"${PIN_SERVER[@]}" stdbuf -oL "$SWIFT_BIN" --host 127.0.0.1 --port 0 --static "$SITE" --log-level warning \
			--max-connections $((CONNECTIONS + 32)) >"$log" 2>&1 &
	fi
	SERVER_PID=$!
	PORT=""
	for i in $(seq 1 100); do
		PORT=$(grep -m1 -o 'listening on [a-z]*://127\.0\.0\.1:[0-9]*' "$log" | sed 's/.*://')
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	die "the $1 server did not start (see $log)"
}

# A WebSocket echo every 0.2 s while wrk runs: prints "sent answered".
pinger() {
	local sent=0 ok=0
	while [ -e "$OUT/pinging" ]; do
		sent=$((sent + 1))
		[ "$(timeout 5 "$CLIENT_BIN" "ws://127.0.0.1:$1/" --send "ping $sent" 2>/dev/null | head -n1)" = "ping $sent" ] && ok=$((ok + 1))
		sleep 0.2
	done
	echo "$sent $ok" >"$OUT/pinger.out"
}

FAILED=0
declare -A RPS RSS1 RSS2 ERR ECHO
for kind in swift c; do
	start_server "$kind"
	for target in healthz page.html; do
		for round in 1 2; do
			touch "$OUT/pinging"
			pinger "$PORT" &
			PINGER_PID=$!
			"${PIN_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$PORT/$target" >"$OUT/wrk-$kind-$target-$round.txt" 2>&1
			rm -f "$OUT/pinging"; wait "$PINGER_PID"; PINGER_PID=""
			read -r sent answered <"$OUT/pinger.out"
			rps=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/wrk-$kind-$target-$round.txt")
			errors=$(awk '/Socket errors:/ { gsub(",", ""); s += $4 + $6 + $8 + $10 } /Non-2xx or 3xx responses:/ { s += $5 } END { print s + 0 }' "$OUT/wrk-$kind-$target-$round.txt")
			RPS[$kind,$target,$round]=${rps:-0}
			ERR[$kind,$target,$round]=$errors
			ECHO[$kind,$target,$round]="$answered/$sent"
			if [ "$round" = 1 ]; then RSS1[$kind,$target]=$(rss_kb "$SERVER_PID"); else RSS2[$kind,$target]=$(rss_kb "$SERVER_PID"); fi
			echo "$kind /$target round $round: ${rps:-?} req/s, errors $errors, websocket echoes $answered/$sent, RSS $(rss_kb "$SERVER_PID") KB"
			[ "$errors" = 0 ] && [ "$answered" = "$sent" ] && [ "$sent" -gt 0 ] || FAILED=1
		done
	done
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
done

echo
echo "| target | round | Swift req/s | C req/s | Swift/C | Swift errors | Swift RSS KB | WebSocket echoes during (Swift) |"
echo "|---|---|---|---|---|---|---|---|"
for target in healthz page.html; do
	for round in 1 2; do
		s=${RPS[swift,$target,$round]} c=${RPS[c,$target,$round]}
		ratio=$(awk -v s="$s" -v c="$c" 'BEGIN { printf (c > 0 ? "%.2f" : "-"), s / c }')
		rss=$([ "$round" = 1 ] && echo "${RSS1[swift,$target]}" || echo "${RSS2[swift,$target]}")
		echo "| /$target | $round | $s | $c | $ratio | ${ERR[swift,$target,$round]} | $rss | ${ECHO[swift,$target,$round]} |"
	done
	growth=$(awk -v a="${RSS1[swift,$target]}" -v b="${RSS2[swift,$target]}" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
	echo "| /$target | RSS growth, round 2 vs 1 | $growth % | | | | | |"
	awk -v g="$growth" 'BEGIN { exit !(g <= 5 && g >= -5) }' || FAILED=1
done
echo
echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s, server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU; $(date -u +%Y-%m-%d)"
[ "$FAILED" = 0 ] && echo "http-load: all checks passed" || { echo "http-load: a check failed (errors, a missed echo, or RSS growth over 5 %)"; exit 1; }
