#!/usr/bin/env bash
# Start-up memory (issue 13; BENCHMARKS.md, "Start-up memory"): starts a server, waits until it
# prints "listening on", 1 s more, and reads /proc/PID/smaps: RSS per mapping, summed by the
# file it maps (the binary, each library) or by kind for anonymous memory ([heap], [stack],
# [anon]: malloc arenas, thread stacks, lws's fd tables; a file's own anonymous pages, its
# relocated data, count with the file). Runs it RUNS times (default 3) and prints the run with
# the median total. Usage:
#   Benchmarks/start-rss.sh BINARY [ARGS...]         e.g. .build/release/lws-echo-server --host 127.0.0.1 --port 0
# RUNS=N sets the runs; TOP=N the lines shown (default all).
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,9p' "$0"; exit 2; }
runs=${RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/start-rss.XXXXXX")
trap 'rm -rf "$work"' EXIT

for run in $(seq "$runs"); do
	"$@" >"$work/out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do grep -q 'listening on' "$work/out" && break; sleep 0.1; done
	grep -q 'listening on' "$work/out" || { echo "start-rss: $1 did not say 'listening on':"; cat "$work/out"; kill "$pid" 2>/dev/null; exit 1; }
	sleep 1
	threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
	awk -v threads="$threads" '
		function flush() { if (name != "") rss[name] += cur }
		/^[0-9a-f]+-[0-9a-f]+ / {
			flush(); cur = 0
			path = $6; for (i = 7; i <= NF; i++) path = path " " $i
			if (path == "") name = "[anon]"
			else if (path ~ /^\[/) name = path
			else { n = split(path, p, "/"); name = p[n] }
			next
		}
		/^Rss:/ { cur = $2 }
		END {
			flush()
			for (k in rss) { total += rss[k]; if (rss[k] > 0) printf "%8d KiB  %s\n", rss[k], k }
			printf "%8d KiB  TOTAL (%d threads)\n", total, threads
		}' "/proc/$pid/smaps" | sort -rn >"$work/run$run"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
done

# the run with the median total
best=$(for run in $(seq "$runs"); do echo "$(head -n 1 "$work/run$run" | awk '{ print $1 }') $run"; done | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { print $2 }')
totals=$(for run in $(seq "$runs"); do head -n 1 "$work/run$run" | awk '{ print $1 }'; done | sort -n | tr '\n' ' ')
echo "start RSS of $(basename "$1"), $runs runs (KiB): $totals; the median run:"
if [ -n "${TOP:-}" ]; then head -n "$TOP" "$work/run$best"; else cat "$work/run$best"; fi
