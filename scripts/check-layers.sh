#!/usr/bin/env bash
# Checks the layering that ARCHITECTURE.md describes, by reading the sources:
# - only Sources/LibWebSockets/LWS/ imports CLibwebsockets (so only it can call lws);
# - State/ is pure: it imports nothing but DequeModule (no lws, no locks, no threads, no I/O);
# - API/ declares no lws types (it cannot: it does not import them);
# - nothing in Sources/LibWebSockets imports Foundation (any of its modules) or swift-metrics'
#   Metrics, which imports FoundationEssentials (CoreMetrics does not). The real check is the
#   link check of scripts/check-lean.sh; this one names the file.
# Runs in `make test` (and so in CI); exits 1 naming each offending file.
set -u
cd "$(dirname "$0")/.."
status=0

while IFS= read -r file; do
	case "$file" in
	Sources/LibWebSockets/LWS/*) ;;
	*) echo "check-layers: $file imports CLibwebsockets; only Sources/LibWebSockets/LWS/ may call lws"; status=1 ;;
	esac
done < <(git ls-files --cached --others --exclude-standard -- '*.swift' | xargs grep -lE '^\s*(@[A-Za-z_]+\s+)*import\s+(class\s+|struct\s+|enum\s+|func\s+)?CLibwebsockets' 2>/dev/null)

for file in Sources/LibWebSockets/State/*.swift; do
	bad=$(grep -nE '^\s*(@[A-Za-z_]+\s+)*import\s' "$file" | grep -vE 'import\s+DequeModule\s*$')
	if [ -n "$bad" ]; then
		echo "check-layers: $file is in State/ (pure values) but imports: $bad"
		status=1
	fi
done

while IFS= read -r hit; do
	echo "check-layers: $hit: LibWebSockets imports no Foundation module, nor Metrics (it imports FoundationEssentials; use CoreMetrics); see BENCHMARKS.md, \"Start-up memory\""
	status=1
done < <(grep -rnE '^\s*(@[A-Za-z_]+\s+)*((public|package|internal|fileprivate|private)\s+)?import\s+((class|struct|enum|protocol|typealias|func|var|let)\s+)?(_?Foundation[A-Za-z]*|Metrics)(\s|\.|$)' Sources/LibWebSockets)

for dir in API State Runtime LWS; do
	[ -d "Sources/LibWebSockets/$dir" ] || { echo "check-layers: Sources/LibWebSockets/$dir is missing"; status=1; }
done
extra=$(find Sources/LibWebSockets -mindepth 1 -maxdepth 1 | grep -vE '/(API|State|Runtime|LWS)$')
if [ -n "$extra" ]; then
	echo "check-layers: outside the four layers: $extra"
	status=1
fi

[ $status -eq 0 ] && echo "check-layers: ok (CLibwebsockets only in LWS/, State/ pure, no Foundation, four layers)"
exit $status
