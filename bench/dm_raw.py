"""The direct-messages baseline: a minimal `websockets` server that relays within pairs.

`python -m bench.dm_raw PORT`. A socket at `/<pair>/<side>` gets a `hello`; each text
it sends is wrapped in a frame about the size of the forum's `dm.message` and sent to
the other side of its pair, and acknowledged to the sender, as the forum does.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, serve

sides: dict[tuple[str, str], ServerConnection] = {}
seq = 0


def message_frame(text: str, seq: int) -> str:
    data = {
        "conversation": 1,
        "id": seq,
        "conversation_seq": seq,
        "client_id": "raw",
        "author": {"id": 1, "name": "Raw Member", "handle": "raw-member", "country": "ZM"},
        "html": "<p>" + text + "</p>\n",
        "preview": text,
        "quote": None,
        "created_at": datetime.now(UTC).isoformat(),
        "edited_at": None,
        "deleted": False,
        "unread_conversations": 1,
    }
    return json.dumps({"type": "dm.message", "seq": seq, "data": data}, separators=(",", ":"))


async def handler(ws: ServerConnection) -> None:
    global seq
    path = ws.request.path if ws.request is not None else "/0/0"
    _empty, pair, side = path.split("/")[:3]
    sides[(pair, side)] = ws
    other = (pair, "b" if side == "a" else "a")
    await ws.send(json.dumps({"type": "hello", "seq": seq}, separators=(",", ":")))
    try:
        async for text in ws:
            seq += 1
            frame = message_frame(str(text), seq)
            peer = sides.get(other)
            if peer is not None:
                await peer.send(frame)
            await ws.send(frame)  # the sender's own copy, as the forum sends it
    finally:
        sides.pop((pair, side), None)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
