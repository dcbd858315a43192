"""Daphne hands a request body to the application chunk by chunk, as the application reads.

Twisted receives a whole request body before Daphne sees it, into a file (in memory under
100 KB, a temporary file on disk above). Two things then held it whole in memory, several
times over (ten parallel 20 MB uploads grew the process by three times the bytes in
flight, and each took seconds):

* Twisted's `Request` parses a multipart or URL-encoded POST into `request.args` itself,
  reading the file whole and copying its parts, for Daphne, which never reads `args`
  (Django parses the body): most of the memory, and most of an upload's time.
  `stream_request_bodies()` turns that off with Twisted's own switch
  (`Request(parsePOSTFormSubmission=False)`, where the installed Twisted has it).
* Daphne 4.2 (`WebRequest.process`) reads the file into the application's input queue
  at once, every 8 KB chunk, before the application reads the first. Here each HTTP
  request gets an input queue that reads the next chunk from Twisted's file only when
  the application asks for it, 64 KB at a time (Daphne's 8 KB, when larger bodies reach
  Django's disk spool, cost a thread hop each: 2.5x slower uploads). The messages are
  otherwise the ones Daphne would send (a body under a chunk in one message, the same
  `more_body` rule); a disconnect still arrives through the queue, and once it has, the
  rest of the body is not read.

WebSocket connections are left as they were.
"""

from __future__ import annotations

import asyncio
import inspect
from functools import partial
from typing import IO, Any

_MARKER = "_forum_streams_bodies"
CHUNK_BYTES = 64 * 1024  # at least: Daphne's request_buffer_size if larger


class BodyQueue(asyncio.Queue):
    """The input queue of one HTTP request, reading its body from `body` on demand."""

    def __init__(self, body: IO[bytes], chunk_size: int) -> None:
        super().__init__()
        self.body = body
        self.chunk_size = chunk_size
        self.position = body.tell()
        self.reading = True

    def put_nowait(self, message: dict[str, Any]) -> None:
        if message.get("type") == "http.request":
            return  # Daphne's own reading of the body: it found the file already at its end
        super().put_nowait(message)

    async def get(self) -> dict[str, Any]:
        if self.reading and self.empty():
            return self._next_chunk()
        self.reading = False  # a queued message here is a disconnect: the rest is moot
        return await super().get()

    def _next_chunk(self) -> dict[str, Any]:
        try:
            self.body.seek(self.position)
            chunk = self.body.read(self.chunk_size)
        except ValueError:  # closed: the request is over
            self.reading = False
            return {"type": "http.disconnect"}
        self.position += len(chunk)
        more_body = len(chunk) == self.chunk_size  # as Daphne decides it
        self.reading = more_body
        return {"type": "http.request", "body": chunk, "more_body": more_body}


def _create_application(original, server, protocol, scope: dict[str, Any]):
    """Daphne's `Server.create_application` for an HTTP request, with a `BodyQueue`."""
    body = getattr(protocol, "content", None)
    if scope.get("type") != "http" or body is None:
        return original(server, protocol, scope)
    assert "application_instance" not in server.connections[protocol]
    queue = BodyQueue(body, max(server.request_buffer_size, CHUNK_BYTES))
    body.seek(0, 2)  # Daphne's loop after this call finds nothing left to read
    scope.setdefault("asgi", {"version": "3.0"})
    application_instance = server.application(
        scope=scope, receive=queue.get, send=partial(server.handle_reply, protocol)
    )
    if protocol not in server.connections:
        return None
    server.connections[protocol]["application_instance"] = asyncio.ensure_future(
        application_instance, loop=asyncio.get_event_loop()
    )
    return queue


def _without_form_parsing(original):
    """`WebRequest.__init__`, asking Twisted not to parse POSTed forms into `args`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        original(self, *args, **kwargs)

    return __init__


def stream_request_bodies() -> None:
    """Make Daphne read each HTTP request body into the application only as it is asked
    for, and Twisted leave POSTed forms to Django (idempotent; nothing happens without
    Daphne)."""
    try:
        from daphne.http_protocol import WebRequest
        from daphne.server import Server
        from twisted.web.http import Request
    except ImportError:  # pragma: no cover - another ASGI server
        return
    original = Server.create_application
    if getattr(original, _MARKER, False):
        return

    def create_application(self, protocol, scope):
        return _create_application(original, self, protocol, scope)

    setattr(create_application, _MARKER, True)
    create_application.__doc__ = original.__doc__
    Server.create_application = create_application
    if "parsePOSTFormSubmission" in inspect.signature(Request.__init__).parameters:
        WebRequest.__init__ = _without_form_parsing(WebRequest.__init__)
