#!/usr/bin/env python3
"""A slow consumer against lws-fault-server: its /firehose sends --firehose-bytes (100 MiB) as
fast as `send` lets it while this script reads --rate bytes a second (10 KiB/s) for --seconds
(60) from a raw socket with a small receive buffer.

Samples the server's RSS from /proc/PID/status every second; checks that it stays within
--max-backpressure plus --slack-mib of the RSS before the firehose, that the sender waits in
`send` (from the server's /stats) with at most --max-backpressure plus one message queued, and
that a fresh websockets connection echoes every two seconds meanwhile. Exits 1 on any failure.
"""

import argparse
import json
import socket
import sys
import time
import urllib.request

from websockets.sync.client import connect


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=int, default=10 << 10, help="bytes read a second")
    parser.add_argument("--max-backpressure", type=int, default=1 << 20, help="the server's --max-backpressure")
    parser.add_argument("--message-size", type=int, default=64 << 10, help="the server's --message-size")
    parser.add_argument("--firehose-bytes", type=int, default=100 << 20, help="the server's --firehose-bytes")
    parser.add_argument("--slack-mib", type=float, default=2.0)
    args = parser.parse_args()
    url = f"ws://127.0.0.1:{args.port}/"
    MiB = 1 << 20

    def echo(text: str) -> float:
        start = time.perf_counter()
        with connect(url, open_timeout=5) as bystander:
            bystander.send(text)
            if bystander.recv(timeout=5) != text:
                raise RuntimeError("wrong echo")
        return time.perf_counter() - start

    echo("warm-up")
    time.sleep(0.5)
    baseline = rss(args.pid)

    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 10)  # before connect: a small window
    raw.connect(("127.0.0.1", args.port))
    raw.sendall(b"GET /firehose HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += raw.recv(1)
    if not head.startswith(b"HTTP/1.1 101"):
        print(f"slow consumer: FAILED: no upgrade: {head!r}", file=sys.stderr)
        return 1

    start = time.monotonic()
    read, samples, echoes, slowest_echo, failures = 0, [], 0, 0.0, []
    chunk = max(1, args.rate // 10)
    next_sample = next_echo = start
    while (now := time.monotonic()) - start < args.seconds:
        data = raw.recv(chunk - (read % chunk) if read % chunk else chunk)
        if not data:
            failures.append("the server closed the firehose")
            break
        read += len(data)
        if now >= next_sample:
            samples.append((now - start, rss(args.pid)))
            next_sample += 1
        if now >= next_echo:
            try:
                slowest_echo = max(slowest_echo, echo(f"echo {echoes}"))
                echoes += 1
            except Exception as error:
                failures.append(f"bystander echo {echoes} failed: {error!r}")
            next_echo += 2
        # Paces the reads: `rate` bytes a second in tenths.
        time.sleep(max(0.0, start + read / args.rate - time.monotonic()))

    stats = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{args.port}/stats", timeout=5).read())
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()

    peak = max(r for _, r in samples)
    growth = peak - baseline
    limit = args.max_backpressure + args.slack_mib * MiB
    sent = stats["sends"] * args.message_size
    print(f"slow consumer: {args.seconds:.0f} s at {args.rate} B/s: read {read / 1024:.0f} KiB; the server's send returned "
          f"{stats['sends']} times ({sent / MiB:.1f} MiB of {args.firehose_bytes / MiB:.0f} MiB), most queued "
          f"{stats['most_buffered'] / 1024:.0f} KiB, in send now: {stats['in_send']}; RSS {baseline / MiB:.1f} MiB before, "
          f"peak {peak / MiB:.1f} MiB (+{growth / MiB:.2f} MiB, limit +{limit / MiB:.2f}); "
          f"{echoes} bystander echoes, slowest {slowest_echo * 1000:.1f} ms")
    print("slow consumer: RSS MiB by second: " + " ".join(f"{r / MiB:.1f}" for _, r in samples))
    if growth > limit:
        failures.append(f"RSS grew {growth / MiB:.2f} MiB, over maxBackpressure + {args.slack_mib} MiB")
    if stats["most_buffered"] > args.max_backpressure + args.message_size:
        failures.append(f"{stats['most_buffered']} bytes queued, over maxBackpressure + one message")
    if not stats["in_send"]:
        failures.append(f"the sender is not waiting in send: {stats}")
    if sent >= args.firehose_bytes // 2:
        failures.append(f"send returned for {sent / MiB:.1f} MiB: it queued instead of waiting")
    if echoes < args.seconds // 2 - 1:
        failures.append(f"only {echoes} bystander echoes")
    for failure in failures:
        print(f"slow consumer: FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
