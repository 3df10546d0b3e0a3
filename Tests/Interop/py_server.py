#!/usr/bin/env python3
"""Python's websockets as the server for this package's client (lws-interop-peer check).

Echoes every message with the frames it came in (a message of three frames goes back as three
frames), records per request path what it received (type, UTF-8 or byte size, frame count) and
the close code and reason the client sent, and obeys the commands of lws-interop-peer, text
messages starting with "interop:":

  interop:ping PAYLOAD       ping the client, await its pong, send "interop:pong-received PAYLOAD"
  interop:close CODE REASON  close with that code and reason
  interop:report PATH        once the connection at PATH closed (waiting up to 5 s), one line per
                             message ("text BYTES FRAMES" / "binary BYTES FRAMES") and a last
                             line "close CODE REASON"

Prints "listening on ws://127.0.0.1:PORT" once bound; runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

MAX_MESSAGE = 16 << 20  # more than the 10 MiB messages; websockets' default is 1 MiB

records: dict[str, list[str]] = {}
closes: dict[str, str] = {}


async def report(path: str) -> str:
    for _ in range(500):
        if path in closes:
            return "\n".join(records.get(path, []) + [closes[path]])
        await asyncio.sleep(0.01)
    return f"no close recorded for {path}"


async def obey(ws: ServerConnection, command: str) -> None:
    words = command.split(" ", 2)
    if words[0] == "ping" and len(words) == 2:
        pong = await ws.ping(words[1].encode())
        await asyncio.wait_for(pong, 10)
        await ws.send(f"interop:pong-received {words[1]}")
    elif words[0] == "close" and len(words) == 3 and words[1].isdigit():
        await ws.close(int(words[1]), words[2])
    elif words[0] == "report" and len(words) == 2:
        await ws.send(await report(words[1]))
    else:
        await ws.send(f"interop:unknown command {command}")


async def handler(ws: ServerConnection) -> None:
    path = ws.request.path
    received = records.setdefault(path, [])
    try:
        while True:
            frames = [frame async for frame in ws.recv_streaming()]
            if isinstance(frames[0], str):
                message = "".join(frames)
                if message.startswith("interop:"):
                    await obey(ws, message[len("interop:"):])
                    continue
                received.append(f"text {len(message.encode())} {len(frames)}")
            else:
                message = b"".join(frames)
                received.append(f"binary {len(message)} {len(frames)}")
            await ws.send(frames if len(frames) > 1 else message)
    except ConnectionClosed:
        pass
    finally:
        # The code and reason the client sent (or echoed, when this side closed first).
        closes[path] = f"close {ws.close_code} {ws.close_reason}"


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    stop = asyncio.get_running_loop().create_future()
    for number in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(number, stop.cancel)
    async with serve(handler, "127.0.0.1", args.port, max_size=MAX_MESSAGE) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{port}", flush=True)
        try:
            await stop
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
