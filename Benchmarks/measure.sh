# Measuring helpers shared by run.sh and deflate.sh (sourced, not run).
# shellcheck shell=bash
# Needs WAIT_IDLE (quiet_wait's bound in seconds; 0 = do not wait) and BENCH_NAME (the
# script's name, for its warnings).

CLK_TCK=$(getconf CLK_TCK)
# CPU ticks (user + system) used so far by a process
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
now_s() { date +%s.%N; }
# busy CPU ticks of the machine: user, nice, system, irq, softirq, and steal
# (time the hypervisor gave our vCPUs to someone else)
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# busy_pct SECONDS: percent of all CPUs in use (by anything) over a sample
busy_pct() {
	local a b
	a=$(head -n 1 /proc/stat); sleep "$1"; b=$(head -n 1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		for (i = 2; i <= 9; i++) t += y[i] - x[i];
		idle = (y[5] - x[5]) + (y[6] - x[6]);
		printf "%d", (t > 0 ? 100 * (t - idle) / t : 0) }'
}
# Benchmarks on a shared machine are only as good as its quietness.  With
# --wait-idle S, wait (up to S s) before a run until the machine is idle.
quiet_wait() {
	local tries
	tries=$(awk -v w="$WAIT_IDLE" 'BEGIN { printf "%d", w * 2 }')
	while [ "$tries" -gt 0 ]; do
		[ "$(busy_pct 0.5)" -lt 10 ] && return 0
		tries=$((tries - 1))
	done
	return 0
}
# resident KB of a process
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# field NAME "RESULT ..." -> value
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
median() {
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g |
		awk '{ a[NR] = $1 } END {
			if (NR == 0) print "n/a";
			else if (NR % 2) print a[(NR + 1) / 2];
			else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
range() {
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g |
		awk -v d="${RANGE_DEC:-0}" '{ a[NR] = $1 } END { if (NR == 0) print "n/a"; else printf "%.*f–%.*f\n", d, a[1], d, a[NR] }'
}
fmt() {
	case "$1" in
	n/a|"") echo "n/a" ;;
	*) awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f\n", d, v }' ;;
	esac
}
# quotient A B -> A / B with 2 decimals, or n/a
quotient() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'
}


# raise_fd_limit: up to 20000 open files, or what the hard limit allows (lws sizes its fd tables
# from the soft limit, and thousands of connections need more than the usual 1024)
raise_fd_limit() {
	local hard
	hard=$(ulimit -Hn)
	if [ "$hard" = unlimited ] || [ "$hard" -ge 20000 ]; then ulimit -n 20000; else ulimit -n "$hard"; fi
}

# pin_cpus: PIN_SERVER and PIN_CLIENT (taskset on SERVER_CPU and CLIENT_CPU), and LINEBUF,
# which keeps a server's "listening on" line out of a stdio buffer
pin_cpus() {
	if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then
		echo "$BENCH_NAME: warning: need 2 CPUs and taskset for pinning; running unpinned" >&2
		PIN_SERVER=(); PIN_CLIENT=()
	else
		PIN_SERVER=(taskset -c "$SERVER_CPU"); PIN_CLIENT=(taskset -c "$CLIENT_CPU")
	fi
	LINEBUF=(); command -v stdbuf >/dev/null && LINEBUF=(stdbuf -oL)
}

# build_c_programs: the C echo server and the load client, into $BUILD (with $CC, -O2); sets
# C_BIN and LOAD_BIN. Needs die.
build_c_programs() {
	echo "== building C server and load client (cc -O2)"
	pkg-config --exists libwebsockets || die "libwebsockets not found by pkg-config (apt-get install libwebsockets-dev)"
	# shellcheck disable=SC2046
	$CC -O2 -Wall -Wextra -o "$BUILD/lws-c-echo-server" "$HERE/c-echo-server/lws-c-echo-server.c" \
		$(pkg-config --cflags --libs libwebsockets) || die "building the C server failed"
	$CC -O2 -Wall -Wextra -o "$BUILD/lws-load" "$HERE/load-client/lws-load.c" -lssl -lcrypto -lz ||
		die "building the load client failed (it needs OpenSSL's and zlib's headers: apt-get install libssl-dev zlib1g-dev)"
	C_BIN="$BUILD/lws-c-echo-server"
	LOAD_BIN="$BUILD/lws-load"
}

# stop_server: TERM the server in SERVER_PID, KILL it after 5 s, and clear SERVER_PID
stop_server() {
	local i
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "$BENCH_NAME: warning: server did not exit on SIGTERM within 5 s, killing it" >&2
		kill -KILL "$SERVER_PID" 2>/dev/null
	fi
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=""
}

# retry_disturbed FUNC ARGS...: waits for quiet, runs FUNC ARGS, and again (twice at most, with
# --wait-idle) while FUNC reports DISTURBED=1; returns 1 when FUNC fails
retry_disturbed() {
	local attempt=1 max=1
	[ "$WAIT_IDLE" != 0 ] && max=3
	while :; do
		quiet_wait
		"$@" || return
		if [ "$DISTURBED" = 1 ] && [ "$attempt" -lt "$max" ]; then
			echo "  (disturbed by other processes; retrying)"
			attempt=$((attempt + 1))
			continue
		fi
		return 0
	done
}
