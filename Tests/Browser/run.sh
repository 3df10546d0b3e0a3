#!/usr/bin/env bash
# A real browser against the echo example: Debian's chromium, headless, loads the page that
# lws-echo-server serves at "/", whose script opens a WebSocket back to the server, sends
# messages and lists the echoes. The DOM is read back (--dump-dom) and must show every echo.
# Once over plain HTTP (ws://) and once over HTTPS (wss://), both from one server process
# (--tls-cert/--tls-key and --plain-port).
#
#   Tests/Browser/run.sh [--server PATH] [--messages N]
#
# The HTTPS run trusts only the certificate this script makes (a throwaway CA and a
# localhost leaf, made here with openssl and never committed): chromium is given the leaf's
# public-key hash in --ignore-certificate-errors-spki-list, so any other certificate error
# still fails. Installs chromium with apt-get when missing. Output: .build-browser/
# (server log, the DOMs, and echo-page-http.png / echo-page-https.png screenshots).

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$ROOT/.build-browser"
SWIFT=${SWIFT:-swift}
SERVER=""
MESSAGES=20

die() { echo "browser: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--server) SERVER=${2:?--server needs a path}; shift ;;
	--messages) MESSAGES=${2:?--messages needs a number}; shift ;;
	-h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

START=$(date +%s)
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
if ! command -v chromium >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 || die "chromium is needed (install it, then rerun)"
	echo "== installing chromium with apt-get"
	$SUDO apt-get update -qq
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
command -v openssl >/dev/null 2>&1 || die "openssl is needed (make deps installs it)"

if [ -z "$SERVER" ]; then
	echo "== building lws-echo-server (debug)"
	(cd "$ROOT" && timeout 1800 "$SWIFT" build --product lws-echo-server) || die "swift build --product lws-echo-server failed"
	SERVER="$(cd "$ROOT" && "$SWIFT" build --product lws-echo-server --show-bin-path)/lws-echo-server"
fi

rm -rf "$OUT"
mkdir -p "$OUT/certs"
# ---- a throwaway CA and a leaf for 127.0.0.1 -------------------------------------------
(
	cd "$OUT/certs"
	ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=lws browser test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
	openssl req "${ec[@]}" -keyout leaf.key -out leaf.csr -subj /CN=localhost 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >leaf.ext
	openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile leaf.ext 2>/dev/null
) || die "openssl could not make the test certificates"
SPKI=$(openssl x509 -in "$OUT/certs/leaf.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | openssl enc -base64)

# ---- the server --------------------------------------------------------------------------
SERVER_PID=""
cleanup() {
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT
# Created here, not by the background job's redirection, which may come after the first read.
: >"$OUT/server.log"
"$SERVER" --host 127.0.0.1 --port 0 --plain-port 0 \
	--tls-cert "$OUT/certs/leaf.pem" --tls-key "$OUT/certs/leaf.key" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
TLS_PORT="" PLAIN_PORT=""
for _ in $(seq 1 600); do
	TLS_PORT=$(sed -n 's#^listening on wss://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$OUT/server.log" | head -n1 || true)
	PLAIN_PORT=$(sed -n 's#^listening on ws://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$OUT/server.log" | head -n1 || true)
	[ -n "$TLS_PORT" ] && [ -n "$PLAIN_PORT" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$OUT/server.log" >&2; die "the server exited before listening"; }
	sleep 0.1
done
[ -n "$TLS_PORT" ] && [ -n "$PLAIN_PORT" ] || die "the server printed no 'listening on' lines"

# ---- the browser -------------------------------------------------------------------------
browser() { # browser NAME URL EXTRA-ARGS... : chromium with a throwaway profile
	local name=$1 url=$2
	shift 2
	timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$OUT/profile-$name" \
		--virtual-time-budget=10000 "$@" "$url" 2>>"$OUT/chromium.log"
}

check() { # check NAME URL EXTRA-ARGS...
	local name=$1 url=$2 dom="$OUT/dom-$1.html" echoes
	shift 2
	browser "$name" "$url?auto=$MESSAGES" "$@" --dump-dom >"$dom" || die "$name: chromium failed (see $OUT/chromium.log)"
	echoes=$(grep -o '<li class="echo">auto message [0-9]* <span class="rtt">[0-9.]* ms</span></li>' "$dom" | wc -l || true)
	grep -q '<body data-done="true">' "$dom" && grep -q "<span id=\"count\">$MESSAGES</span>" "$dom" &&
		[ "$echoes" -eq "$MESSAGES" ] && grep -q '<span id="status">open</span>' "$dom" ||
		{ grep -E 'status|count|data-done' "$dom" >&2 || true; die "$name: the page did not show $MESSAGES echoes with their round-trip times"; }
	browser "$name-shot" "$url?auto=3" "$@" --window-size=900,700 --screenshot="$OUT/echo-page-$name.png" >/dev/null ||
		die "$name: the screenshot failed"
	echo "browser: $name ok: $echoes echoes over $( [ "$name" = https ] && echo wss || echo ws ), screenshot ${OUT#"$ROOT"/}/echo-page-$name.png"
}

check http "http://127.0.0.1:$PLAIN_PORT/"
check https "https://127.0.0.1:$TLS_PORT/" --ignore-certificate-errors-spki-list="$SPKI"
echo "browser: passed in $(($(date +%s) - START)) s"
