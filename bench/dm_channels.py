"""The direct-messages floor of the server stack: Daphne and a Channels consumer relaying
within pairs as bench/dm_raw.py does, with no database, no rules and no channel layer.

`python -m daphne -p PORT bench.dm_channels:application`. A socket at `/<pair>/<side>`
gets a `hello`; each text it sends is wrapped in the same frame as the raw server's and
sent to the other side of its pair and back to the sender. Between the raw `websockets`
server and the forum, it shows what Daphne and Channels cost before any of the forum's
own work.
"""

from __future__ import annotations

import json

import django
from django.conf import settings

if not settings.configured:
    settings.configure(CHANNEL_LAYERS={}, INSTALLED_APPS=[], LOGGING_CONFIG=None)
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import URLRouter
from django.urls import re_path

from bench.dm_raw import message_frame

sides: dict[tuple[str, str], Relay] = {}
seq = 0


class Relay(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        self.side = (kwargs["pair"], kwargs["side"])
        self.other = (kwargs["pair"], "b" if kwargs["side"] == "a" else "a")
        sides[self.side] = self
        await self.accept()
        await self.send(json.dumps({"type": "hello", "seq": seq}, separators=(",", ":")))

    async def disconnect(self, code: int) -> None:
        sides.pop(self.side, None)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        global seq
        seq += 1
        frame = message_frame(text_data or "", seq)
        peer = sides.get(self.other)
        if peer is not None:
            await peer.send(frame)
        await self.send(frame)  # the sender's own copy, as the forum sends it


application = URLRouter([re_path(r"^(?P<pair>\d+)/(?P<side>[ab])$", Relay.as_asgi())])
