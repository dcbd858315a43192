"""Per-process fan-out: one channel-layer subscription per stream, not per socket.

Each process joins a stream's channel-layer group once, receives each event
once (already encoded), and writes the same frame to every local socket whose
reader may see it. Delivery never touches the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Protocol

from channels.layers import get_channel_layer

from forum import events, visibility

logger = logging.getLogger(__name__)


class Subscriber(Protocol):
    reader: visibility.Reader

    async def deliver(self, seq: int, frame: str) -> None: ...

    async def control(self, message: dict) -> None: ...


class Hub:
    """The process's single reader of the channel layer for live streams."""

    def __init__(self) -> None:
        self.streams: dict[str, set[Subscriber]] = defaultdict(set)
        self.members: dict[int, set[Subscriber]] = defaultdict(set)
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def _ensure_running(self) -> None:
        if self.task is None or self.task.done():
            layer = get_channel_layer()
            self.channel = await layer.new_channel("hub.")
            self.task = asyncio.get_running_loop().create_task(self._run(layer))

    async def join(self, stream_key: str, subscriber: Subscriber) -> None:
        async with self.lock:
            await self._ensure_running()
            layer = get_channel_layer()
            if not self.streams[stream_key]:
                await layer.group_add(events.layer_group(stream_key), self.channel)
            self.streams[stream_key].add(subscriber)
            member_id = subscriber.reader.member_id
            if not self.members[member_id]:
                await layer.group_add(events.member_channel_group(member_id), self.channel)
            self.members[member_id].add(subscriber)

    async def leave(self, stream_key: str, subscriber: Subscriber) -> None:
        async with self.lock:
            layer = get_channel_layer()
            self.streams[stream_key].discard(subscriber)
            if not self.streams[stream_key]:
                del self.streams[stream_key]
                await layer.group_discard(events.layer_group(stream_key), self.channel)
            member_id = subscriber.reader.member_id
            self.members[member_id].discard(subscriber)
            if not self.members[member_id]:
                del self.members[member_id]
                await layer.group_discard(events.member_channel_group(member_id), self.channel)

    async def _run(self, layer) -> None:
        while True:
            try:
                message = await layer.receive(self.channel)
                await self.dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Hub could not handle a message; carrying on")
                await asyncio.sleep(0.1)

    async def dispatch(self, message: dict) -> None:
        if message.get("type") == "stream.event":
            audience, seq, frame = message["audience"], message["seq"], message["frame"]
            for subscriber in list(self.streams.get(message["key"], ())):
                if visibility.may_receive(audience, subscriber.reader):
                    await subscriber.deliver(seq, frame)
        elif message.get("type") == "member.control":
            for subscriber in list(self.members.get(message["member_id"], ())):
                await subscriber.control(message)


_hubs: dict[int, Hub] = {}


def hub() -> Hub:
    """Return this event loop's hub (one per process in production)."""
    loop = asyncio.get_running_loop()
    current = _hubs.get(id(loop))
    # An id can be reused by a later loop (tests make one per test): check it is this one.
    if current is None or (current.task is not None and current.task.get_loop() is not loop):
        current = _hubs[id(loop)] = Hub()
    return current
