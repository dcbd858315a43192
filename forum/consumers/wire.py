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

import asyncio
import logging
import struct
from collections import deque
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


# Attributes of Daphne's protocol and Twisted's transport that the direct path reads;
# if a release renames one, sockets take the ordinary path instead of failing.
_PROTOCOL_ATTRIBUTES = ("state", "STATE_OPEN", "_perMessageCompress", "autoFragmentSize")
_TRANSPORT_ATTRIBUTES = ("connected", "disconnecting", "_tempDataBuffer", "_tempDataLen")
_TRANSPORT_ATTRIBUTES += ("dataBuffer", "offset", "socket")

# A socket whose unsent frames pass this many bytes is closed (see SlowSocket).
MAX_BACKLOG_BYTES = 1 << 20

logger = logging.getLogger(__name__)
_reported: set[str] = set()


def _report(path: str, why: str) -> None:
    """Log once per process which write path sockets take, so a silent fallback shows."""
    if path not in _reported:
        _reported.add(path)
        logger.info("WebSocket writes: %s (%s)", path, why)


class SlowSocket(Exception):
    """The client reads slower than events arrive: close it so that it resumes later."""


def _daphne_protocol(send: Send) -> Any | None:
    """Return the autobahn protocol behind Daphne's ASGI `send`, or None for any other
    server, or for a Daphne whose internals are not the ones this module was verified with."""
    try:
        from daphne.server import Server
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # pragma: no cover - Daphne is a dependency
        return None
    if not (
        isinstance(send, partial)
        and getattr(send.func, "__func__", None) is getattr(Server, "handle_reply", None)
        and len(send.args) == 1
        and isinstance(send.args[0], WebSocketProtocol)
    ):
        _report("ordinary", "not a Daphne WebSocket")
        return None
    protocol = send.args[0]
    transport = getattr(protocol, "transport", None)
    missing = [name for name in _PROTOCOL_ATTRIBUTES if not hasattr(protocol, name)]
    if isinstance(transport, _TCP):
        missing += [name for name in _TRANSPORT_ATTRIBUTES if not hasattr(transport, name)]
    if missing:
        _report("ordinary", f"Daphne without {', '.join(missing)}")
        return None
    _report("direct", "Daphne")
    return protocol


class Wire:
    """Writes text frames to one socket, in order, without ever making the caller wait.

    Under Daphne, frames go straight to the socket (or Twisted's buffer); under any
    other server they wait in this socket's outbox for its own writer task. Either
    way a socket whose backlog passes MAX_BACKLOG_BYTES raises SlowSocket, so that
    one slow phone never holds up the others.
    """

    __slots__ = ("closed", "outbox", "protocol", "queued", "send", "writer")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.protocol = _daphne_protocol(send)
        self.outbox: deque[str] = deque()
        self.queued = 0
        self.writer: asyncio.Task | None = None
        self.closed = False

    async def text(self, text: str) -> None:
        """Send `text` as one frame, after every frame sent before it on this socket."""
        self.write_now(text)

    def write_now(self, text: str) -> None:
        """Send or queue `text` without awaiting; raise SlowSocket past the backlog limit."""
        if self.closed:
            return
        protocol = self.protocol
        if protocol is None:
            self._queue(text)
            return
        try:
            if protocol.state != protocol.STATE_OPEN:
                return  # closing or closed: Daphne drops such sends as well
            if protocol._perMessageCompress is not None or protocol.autoFragmentSize:
                protocol.sendMessage(text.encode("utf-8"), False)
                return
            pending = _write(protocol.transport, text_frame(text))
        except AttributeError:
            # An internal changed under us: this socket takes the ordinary path from now.
            _report("ordinary", "Daphne internals changed")
            self.protocol = None
            self._queue(text)
            return
        if pending > MAX_BACKLOG_BYTES:
            raise SlowSocket

    def _queue(self, text: str) -> None:
        self.outbox.append(text)
        self.queued += len(text)
        if self.queued > MAX_BACKLOG_BYTES:
            raise SlowSocket
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.outbox:
                text = self.outbox.popleft()
                self.queued -= len(text)
                await self.send({"type": "websocket.send", "text": text})
        except Exception:
            # The server refused the send (the socket is gone): nothing more to write.
            logger.debug("A socket went away with frames unsent", exc_info=True)
            self.stop()

    def stop(self) -> None:
        """Drop whatever is unsent; later writes do nothing."""
        self.closed = True
        self.outbox.clear()
        self.queued = 0


def _write(transport: Any, data: bytes) -> int:
    """Send `data` now if nothing is queued before it; queue the rest with Twisted.

    Return how many bytes wait in Twisted's buffer for this socket afterwards.
    """
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
            return 0  # the connection is gone: Twisted notices on its own, the frame is moot
        data = data[sent:]
    if data:
        transport.write(data)
    if isinstance(transport, _TCP):
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    return 0


class _Deferred:
    """`make(value)`, made only when a log line actually formats it."""

    __slots__ = ("make", "value")

    def __init__(self, make: Callable[[Any], str], value: object) -> None:
        self.make, self.value = make, value

    def __format__(self, spec: str) -> str:
        return format(self.make(self.value), spec)

    def __str__(self) -> str:
        return format(self)

    __repr__ = __str__


def defer_autobahn_debug_text() -> None:
    """Keep autobahn from formatting debug lines that are never written.

    On every connection it pretty-prints its whole configuration and colours a dozen
    names for debug lines, whether or not debug lines are written: about 1 ms of a
    connect's server time, a sixth of a reconnect storm's. Those texts (the only uses
    of these helpers in its protocol modules are log arguments) are now made only
    when a line is written.
    """
    try:
        from autobahn.twisted import websocket as twisted_protocol
        from autobahn.websocket import protocol
    except ImportError:  # pragma: no cover - autobahn comes with Daphne
        return
    for module in (protocol, twisted_protocol):
        for name in ("pformat", "hltype", "hlval"):
            original = getattr(module, name, None)
            if original is not None and not isinstance(original, partial):
                setattr(module, name, partial(_Deferred, original))
