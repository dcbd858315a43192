"""The baseline server: a minimal `websockets` broadcast server, run as a process of its own.

`python -m bench.raw_server PORT`. Every socket gets a `hello` on connect; texts sent to
`/post` are wrapped in a frame about the size of the forum's `post.created`, encoded
once and `broadcast()` to every other socket.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve

clients: set[ServerConnection] = set()
seq = 0


def post_frame(text: str) -> str:
    """Return the frame for one posted text (encoded once for everyone)."""
    data = {
        "id": seq,
        "thread": 1,
        "parent": 1,
        "number": seq + 1,
        "depth": 1,
        "path": f"000001{seq + 1:06d}",
        "status": "published",
        "author": {"id": 1, "name": "Fan-out Writer", "handle": "fanout-writer", "country": "ZM"},
        "html": "<p>" + text + "</p>\n",
        "created_at": datetime.now(UTC).isoformat(),
        "edited_at": None,
    }
    frame = {"type": "post.created", "seq": seq, "data": data}
    return json.dumps(frame, separators=(",", ":"))


async def handler(ws: ServerConnection) -> None:
    global seq
    if ws.request is not None and ws.request.path == "/post":
        async for text in ws:
            seq += 1
            broadcast(clients, post_frame(str(text)))
        return
    await ws.send(json.dumps({"type": "hello", "seq": seq}, separators=(",", ":")))
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)


async def main(port: int) -> None:
    # No permessage-deflate: Daphne does not compress either, and it costs memory per socket.
    async with serve(handler, "127.0.0.1", port, compression=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
