#!/usr/bin/env bash
# Writes scripts/startup-order.txt: the functions of lws-echo-server that run from exec until it
# listens, in the order callgrind first meets them. `make deploy` hands the file to lld
# (--symbol-ordering-file), which lays those functions out together at the start of .text, so
# start-up faults in a few dozen pages rather than one or more 64 KiB fault-around windows all
# over the Swift runtime and standard library (BENCHMARKS.md, "Start-up memory": about 1.5 MiB
# of start RSS). A stale list costs nothing but that gain: names that are gone are ignored,
# new functions keep their place. Run it again after a toolchain change or a large change to
# start-up; it needs valgrind (apt-get install valgrind).
# Usage: scripts/startup-order.sh [lws-echo-server options], default --host 127.0.0.1 --port 0.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
command -v valgrind >/dev/null || { echo "startup-order: needs valgrind (apt-get install valgrind)"; exit 1; }
[ $# -gt 0 ] || set -- --host 127.0.0.1 --port 0

# The deployment build without an ordering, so that no name is missing from the profile.
scratch=${SCRATCH_PATH:-.build-startup-order}
$SWIFT build -c release --scratch-path $scratch --static-swift-stdlib -Xswiftc -use-ld=lld \
	-Xlinker -z -Xlinker pack-relative-relocs --product lws-echo-server
bin=$($SWIFT build -c release --scratch-path $scratch --show-bin-path)/lws-echo-server

work=$(mktemp -d "${TMPDIR:-/tmp}/startup-order.XXXXXX")
trap 'rm -rf "$work"' EXIT
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/callgrind.out" "$bin" "$@" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q '^listening on' "$work/log" && break; sleep 0.1; done
grep -q '^listening on' "$work/log" || { echo "startup-order: the server did not start:"; cat "$work/log"; kill $pid; exit 1; }
sleep 1
kill -TERM $pid
wait $pid || true

# callgrind names a function once (fn=(N) name, or cfn=(N) name for a callee; later lines use
# the number alone). Keep, in first-seen order, the names that nm finds defined in the binary:
# callgrind says which object a callee is in only now and then, and the names are mangled and
# so unique enough (callgrind adds 'N to recursive calls).
nm --defined-only "$bin" | awk 'NF == 3 { print $3 }' | sort -u >"$work/symbols"
grep -E '^c?fn=\([0-9]+\) ' "$work/callgrind.out" | sed -E "s/^c?fn=\([0-9]+\) //; s/'[0-9]+\$//" |
	awk 'NR == FNR { known[$0] = 1; next } ($0 in known) && !seen[$0]++' "$work/symbols" - >scripts/startup-order.txt
echo "startup-order: $(wc -l <scripts/startup-order.txt) functions in scripts/startup-order.txt"
