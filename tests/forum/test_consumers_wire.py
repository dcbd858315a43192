"""The hub's write path: frames built once, byte for byte what RFC 6455 says."""

from __future__ import annotations

import asyncio

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from forum.consumers.wire import Wire, text_frame


def parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        assert reader.at_eof(), "bytes left after the frame"
        return done.value
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_text_frame_is_one_unmasked_final_text_frame(size):
    """Every payload length encoding (7-bit, 16-bit, 64-bit) parses back to the same text."""
    text = ("é" * size)[:size] if size % 2 else "a" * size
    frame = parse(text_frame(text))
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data.decode("utf-8") == text


def test_text_frame_is_built_once_for_the_same_text():
    """The hub writes one str to every socket: its bytes are encoded once."""
    text = '{"type":"post.created","seq":1}'
    assert text_frame(text) is text_frame(text)
    assert parse(text_frame("other")).data == b"other"


def test_wire_falls_back_to_the_asgi_send_outside_daphne():
    """Under any other server (the test communicator) frames go through ASGI `send`."""
    sent = []

    async def send(message):
        sent.append(message)

    async def write():
        wire = Wire(send)
        assert wire.protocol is None
        await wire.text("hello")
        await wire.text("world")
        await asyncio.sleep(0)

    asyncio.run(write())
    assert sent == [
        {"type": "websocket.send", "text": "hello"},
        {"type": "websocket.send", "text": "world"},
    ]


def test_autobahn_formats_debug_text_only_when_a_line_is_written():
    """Its per-connection debug arguments are deferred: nothing is formatted up front."""
    from autobahn.websocket import protocol

    from forum.consumers.wire import defer_autobahn_debug_text

    defer_autobahn_debug_text()
    defer_autobahn_debug_text()  # idempotent: never wrapped twice
    made = []

    class Loud:
        def __repr__(self) -> str:
            made.append(1)
            return "loud"

    deferred = protocol.pformat([Loud()])
    assert made == []
    assert f"{deferred}" == "[loud]" and made == [1]
