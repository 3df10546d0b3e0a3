#!/usr/bin/env bash
# Issue 13: the library links no Foundation. Builds lws-lean-client (Tests/LeanClient, which
# imports LibWebSockets and nothing else of the package's dependencies) and reads what the
# binary links: its NEEDED entries and ldd's whole closure. Any Foundation library there
# (libFoundation*.so, libFoundationEssentials, lib_FoundationICU, FoundationInternationalization,
# ...) came in through LibWebSockets or one of its dependencies (swift-log's Logging and
# swift-collections' DequeModule import none today; swift-metrics' Metrics would, CoreMetrics
# does not). Then runs the client once (start, listen on a free port, stop).
# Runs in `make test` (test-plain); exits 1 naming what was linked.
# SWIFT and SCRATCH_PATH (a --scratch-path) are taken from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
scratch=()
[ -n "${SCRATCH_PATH:-}" ] && scratch=(--scratch-path "$SCRATCH_PATH")

$SWIFT build "${scratch[@]}" --product lws-lean-client
bin="$($SWIFT build "${scratch[@]}" --show-bin-path)/lws-lean-client"

foundation='lib_?Foundation[A-Za-z]*\.so[.0-9]*'
direct=$(readelf -d "$bin" | grep -F '(NEEDED)' | grep -oE "$foundation" | sort -u || true)
closure=$(ldd "$bin" | grep -oE "$foundation" | sort -u || true)
if [ -n "$direct$closure" ]; then
	echo "check-lean: $bin, a client of LibWebSockets alone, links Foundation:"
	echo "$direct" "$closure" | tr ' ' '\n' | grep . | sort -u | sed 's/^/  /'
	echo "check-lean: LibWebSockets or one of its dependencies imports a Foundation module; see"
	echo "check-lean: BENCHMARKS.md (\"Start-up memory\") for what that costs and what to import instead"
	exit 1
fi

out=$("$bin" --exit 2>&1) || { echo "check-lean: lws-lean-client --exit failed:"; echo "$out"; exit 1; }
echo "$out" | grep -q '^listening on ws://127.0.0.1:' || { echo "check-lean: lws-lean-client did not say where it listens:"; echo "$out"; exit 1; }
echo "check-lean: ok (lws-lean-client links no Foundation: $(ldd "$bin" | wc -l) libraries, none of them Foundation)"
