"""The hub's write path: one encoded frame, written to many local sockets cheaply.

Through Channels, each write to each socket is a consumer `send`, Daphne's
`handle_reply`, autobahn framing the text again for that socket, and a Twisted
write that registers the socket with epoll until the next loop turn and then
removes it. At a thousand sockets a frame, that path was most of the
fan-out's CPU. Here the frame's bytes on the wire (a server frame is never
masked, so it is the same for every socket) are built once per event and
sent straight to each socket whose send buffer is empty; anything unusual
(a backlog, compression, not Daphne at all) takes the ordinary path.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

try:
    from twisted.internet.tcp import Connection as _TCP
except ImportError:  # pragma: no cover - Twisted comes with Daphne

    class _TCP:  # type: ignore[no-redef]
        pass


Send = Callable[[dict], Awaitable[None]]

# The last frame built: the hub writes the same str object to every socket in turn.
_last: tuple[str | None, bytes] = (None, b"")


def text_frame(text: str) -> bytes:
    """Return the unmasked, unfragmented WebSocket text frame carrying `text` (RFC 6455 5.2)."""
    global _last
    cached_text, cached = _last
    if cached_text is text:
        return cached
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    frame = header + payload
    _last = (text, frame)
    return frame


def _daphne_protocol(send: Send) -> Any | None:
    """Return the autobahn protocol behind Daphne's ASGI `send`, or None for any other server."""
    try:
        from daphne.server import Server
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # pragma: no cover - Daphne is a dependency
        return None
    if (
        isinstance(send, partial)
        and getattr(send.func, "__func__", None) is Server.handle_reply
        and len(send.args) == 1
        and isinstance(send.args[0], WebSocketProtocol)
    ):
        return send.args[0]
    return None


class Wire:
    """Writes text frames to one socket: straight to Daphne's protocol when possible."""

    __slots__ = ("protocol", "send")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.protocol = _daphne_protocol(send)

    async def text(self, text: str) -> None:
        """Send `text` as one frame, after every frame sent before it on this socket."""
        if self.protocol is None:
            await self.send({"type": "websocket.send", "text": text})
        else:
            self.write_now(text)

    def write_now(self, text: str) -> None:
        """Send `text` through Daphne's protocol without awaiting (needs `protocol`)."""
        protocol = self.protocol
        if protocol.state != protocol.STATE_OPEN:
            return  # closing or closed: Daphne drops such sends as well
        if protocol._perMessageCompress is not None or protocol.autoFragmentSize:
            protocol.sendMessage(text.encode("utf-8"), False)
            return
        _write(protocol.transport, text_frame(text))


def _write(transport: Any, data: bytes) -> None:
    """Send `data` now if nothing is queued before it; queue the rest with Twisted."""
    if (
        isinstance(transport, _TCP)  # plain TCP, not TLS or a test double
        and transport.connected
        and not transport.disconnecting
        and not transport._tempDataBuffer
        and len(transport.dataBuffer) == transport.offset
    ):
        try:
            sent = transport.socket.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            return  # the connection is gone: Twisted notices on its own, the frame is moot
        data = data[sent:]
    if data:
        transport.write(data)
