#!/usr/bin/env python3
"""Python's websockets as the client of this package's server.

  py_client.py URL [--echo-only]

Against lws-interop-peer serve (default): text, binary, empty, fragmented and 10 MiB messages,
a ping each way, a close with 4001 from Python (the server must echo it, and report it got it)
and one with 4002 from the server. --echo-only, for lws-echo-server (which knows no commands):
the echoes, Python's ping and the close from Python. Prints "ok - NAME" or "FAIL - NAME: WHY"
per check and exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

MAX_MESSAGE = 16 << 20
LARGE = 10 << 20
FRAME = 64 << 10  # the server's maxFrameSize (the library's default): larger echoes come fragmented


class Results:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, why: str = "") -> None:
        if ok:
            self.passed += 1
            print(f"ok - {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL - {name}: {why}", flush=True)

    def expect(self, name: str, got: object, want: object) -> None:
        self.check(name, got == want, f"expected {want!r}, got {got!r}")


def describe(message: str | bytes) -> str:
    kind = "text" if isinstance(message, str) else "binary"
    size = len(message.encode()) if isinstance(message, str) else len(message)
    return f"{kind} {size}"


async def receive(ws: ClientConnection) -> tuple[str | bytes, int]:
    """The next message and the number of frames it came in."""
    frames = await asyncio.wait_for(collect(ws), 30)
    message = "".join(frames) if isinstance(frames[0], str) else b"".join(frames)
    return message, len(frames)


async def collect(ws: ClientConnection) -> list[str | bytes]:
    return [frame async for frame in ws.recv_streaming()]


async def run(url: str, echo_only: bool, r: Results) -> None:
    large_binary = bytes((i * 31 + (i >> 16)) & 0xFF for i in range(LARGE))
    large_text = ("0123456789abcdé\n" * (LARGE // 17))
    # (what is sent, what must come back): a list is sent as one fragmented message.
    cases: list[tuple[str, str | bytes | list, str | bytes]] = [
        ("text", "hello", "hello"),
        ("UTF-8 text", "héllo wörld ✓ 🙂", "héllo wörld ✓ 🙂"),
        ("binary", bytes(range(256)), bytes(range(256))),
        ("empty text", "", ""),
        ("empty binary", b"", b""),
        ("text sent in 3 frames", ["frag-1 ", "frag-2 é", " frag-3"], "frag-1 frag-2 é frag-3"),
        ("binary sent in 3 frames", [b"\x00\x01", b"\x02" * 1000, b"\xff"], b"\x00\x01" + b"\x02" * 1000 + b"\xff"),
        ("10 MiB binary", large_binary, large_binary),
        ("10 MiB text", large_text, large_text),
    ]
    base = url.rstrip("/")
    async with connect(f"{base}/python-client", max_size=MAX_MESSAGE) as ws:
        r.expect("permessage-deflate offered by python, declined by the server",
                 ws.response.headers.get("Sec-WebSocket-Extensions"), None)
        for name, sent, want in cases:
            await ws.send(sent)
            got, frames = await receive(ws)
            if got != want:
                r.check(f"echo of {name}", False, f"expected {describe(want)}, got {describe(got)}"
                        + (" with other content" if describe(got) == describe(want) else ""))
                continue
            size = len(want.encode()) if isinstance(want, str) else len(want)
            want_frames = max(1, -(-size // FRAME))  # the server fragments at 64 KiB
            r.check(f"echo of {name}" + (f" ({want_frames} frames)" if want_frames > 1 else ""),
                    frames == want_frames, f"came back in {frames} frames, expected {want_frames}")

        pong = await ws.ping(b"ping from python")
        await asyncio.wait_for(pong, 10)
        r.check("ping from python answered with a pong", True)

        if not echo_only:
            await ws.send("interop:ping ping-from-swift")
            r.expect("the server's ping answered with a pong", await asyncio.wait_for(ws.recv(), 10),
                     "interop:pong-received ping-from-swift")

        await ws.close(4001, "bye from python")
        r.expect("close 4001 from python, echoed by the server", (ws.close_code, ws.close_reason),
                 (4001, "bye from python"))

    if echo_only:
        return
    async with connect(f"{base}/report", max_size=MAX_MESSAGE) as ws:
        await ws.send("interop:report /python-client")
        want = [describe(want) for _, _, want in cases] + ["close 4001 bye from python"]
        got = (await asyncio.wait_for(ws.recv(), 10)).split("\n")
        r.expect("the server received every message with its type and size, and close 4001", got, want)

    async with connect(f"{base}/server-closes", max_size=MAX_MESSAGE) as ws:
        await ws.send("interop:close 4002 closing from swift")
        try:
            extra = await asyncio.wait_for(ws.recv(), 10)
            r.check("close 4002 from the server", False, f"got a message instead: {extra!r}")
        except ConnectionClosed:
            r.expect("close 4002 from the server", (ws.close_code, ws.close_reason), (4002, "closing from swift"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--echo-only", action="store_true")
    args = ap.parse_args()
    r = Results()
    try:
        asyncio.run(asyncio.wait_for(run(args.url, args.echo_only, r), 120))
    except Exception as e:  # any error ends the checks as a failure, with what it was
        r.check("the checks ran to the end", False, f"{type(e).__name__}: {e}")
    print(f"python client: {r.passed} checks ok, {r.failed} not", flush=True)
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
