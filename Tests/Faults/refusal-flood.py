#!/usr/bin/env python3
"""A burst of connection attempts past a server's maxConnections, made with Python's websockets.

Connects one bystander first, then makes --attempts connects, --concurrency at a time; served
connections stay open, so exactly --max-connections - 1 are served. Every other attempt must fail
with websockets' InvalidStatus carrying HTTP 503 and a Retry-After header (it can only read the
refusal because it is HTTP/1.1), each attempt must be answered within --max-ms (the connect call,
TCP connect and Python's own work included, so an upper bound of request-write-to-answer), and
the bystander must echo throughout. Prints the counts and times; exits 1 on any failure.
"""

import argparse
import asyncio
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--max-connections", type=int, required=True, help="the server's --max-connections")
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--max-ms", type=float, default=100.0)
    args = parser.parse_args()

    bystander = await connect(args.url, ping_interval=None, open_timeout=10)
    served, refused, wrong, times = [], 0, [], []
    next_attempt = 0
    flooding = True

    async def attempt_loop() -> None:
        nonlocal next_attempt, refused
        while next_attempt < args.attempts:
            next_attempt += 1
            start = time.perf_counter()
            try:
                connection = await connect(args.url, ping_interval=None, open_timeout=10, close_timeout=1)
                times.append(time.perf_counter() - start)
                served.append(connection)
            except InvalidStatus as error:
                times.append(time.perf_counter() - start)
                response = error.response
                if response.status_code == 503 and response.headers.get("Retry-After"):
                    refused += 1
                else:
                    wrong.append(f"HTTP {response.status_code}, Retry-After {response.headers.get('Retry-After')!r}")
            except Exception as error:  # anything else is a wrong answer: a drop, a timeout
                times.append(time.perf_counter() - start)
                wrong.append(repr(error))

    async def bystander_loop() -> tuple[int, float]:
        count, slowest = 0, 0.0
        while flooding or count == 0:
            start = time.perf_counter()
            await bystander.send(f"during {count}")
            if await asyncio.wait_for(bystander.recv(), 5) != f"during {count}":
                raise RuntimeError("the bystander got a wrong echo")
            slowest = max(slowest, time.perf_counter() - start)
            count += 1
        return count, slowest

    echoes = asyncio.create_task(bystander_loop())
    began = time.perf_counter()
    await asyncio.gather(*(attempt_loop() for _ in range(args.concurrency)))
    took = time.perf_counter() - began
    flooding = False
    round_trips, slowest_round_trip = await echoes

    times.sort()
    slowest = times[-1] * 1000
    p99 = times[len(times) * 99 // 100] * 1000
    expected_served = args.max_connections - 1
    print(f"refusal flood: {args.attempts} attempts in {took:.2f} s, {args.concurrency} at a time: "
          f"{len(served)} served, {refused} refused with 503 and Retry-After, {len(wrong)} other; "
          f"answer p99 {p99:.1f} ms, slowest {slowest:.1f} ms; "
          f"bystander {round_trips} round trips, slowest {slowest_round_trip * 1000:.1f} ms")
    failures = []
    if len(served) != expected_served:
        failures.append(f"served {len(served)}, expected {expected_served}")
    if refused != args.attempts - expected_served:
        failures.append(f"refused {refused}, expected {args.attempts - expected_served}")
    if wrong:
        failures.append(f"other answers: {wrong[:5]}")
    if slowest > args.max_ms:
        failures.append(f"the slowest answer took {slowest:.1f} ms, over {args.max_ms} ms")
    for connection in served + [bystander]:
        await connection.close()
    for failure in failures:
        print(f"refusal flood: FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
