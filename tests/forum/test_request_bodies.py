"""Daphne hands request bodies to the application as it reads them (forum/request_bodies.py):
the queue's messages are Daphne's own, read from Twisted's file one chunk per `receive()`;
a real Daphne process stores a large upload whole and right, and still serves small
requests and WebSockets."""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import io
import json
import os
import socket
import uuid
import zipfile

import pytest

from attachments.models import Attachment
from forum.request_bodies import BodyQueue, stream_request_bodies
from tests.servers import DaphneServer, open_socket, reply_over_http, session_for

CHUNK = 8192


def messages_of(queue: BodyQueue, count: int) -> list[dict]:
    async def read():
        return [await queue.get() for _ in range(count)]

    return asyncio.run(read())


def daphne_messages(body: bytes) -> list[dict]:
    """What Daphne 4.2 itself queues for `body` (`WebRequest.process`)."""
    file, found = io.BytesIO(body), []
    while True:
        chunk = file.read(CHUNK)
        more_body = not (len(chunk) < CHUNK)
        found.append({"type": "http.request", "body": chunk, "more_body": more_body})
        if not more_body:
            return found


@pytest.mark.parametrize("size", [0, 10, CHUNK, 3 * CHUNK + 5, 4 * CHUNK])
def test_the_messages_are_the_ones_daphne_sends(size):
    body = os.urandom(size)
    expected = daphne_messages(body)
    queue = BodyQueue(io.BytesIO(body), CHUNK)
    assert messages_of(queue, len(expected)) == expected


def test_a_chunk_is_read_only_when_the_application_asks_for_it():
    body = io.BytesIO(os.urandom(10 * CHUNK))
    queue = BodyQueue(body, CHUNK)
    body.seek(0, 2)  # where Daphne's own loop leaves it
    queue.put_nowait({"type": "http.request", "body": b"", "more_body": False})  # Daphne's
    assert queue.empty()  # dropped: the body comes from the file
    first = messages_of(queue, 1)[0]
    assert first["body"] == body.getvalue()[:CHUNK] and first["more_body"]
    assert queue.position == CHUNK  # nothing further was read


def test_a_disconnect_comes_next_and_ends_the_body():
    queue = BodyQueue(io.BytesIO(os.urandom(5 * CHUNK)), CHUNK)
    first = messages_of(queue, 1)[0]
    queue.put_nowait({"type": "http.disconnect"})
    assert first["more_body"]
    assert messages_of(queue, 1) == [{"type": "http.disconnect"}]
    assert queue.reading is False


def test_a_closed_file_reads_as_a_disconnect():
    body = io.BytesIO(os.urandom(2 * CHUNK))
    queue = BodyQueue(body, CHUNK)
    body.close()
    assert messages_of(queue, 1) == [{"type": "http.disconnect"}]


def test_an_http_request_gets_a_body_queue_and_a_websocket_daphnes_own():
    from types import SimpleNamespace

    from forum.request_bodies import CHUNK_BYTES, _create_application

    async def application(scope, receive, send):
        return None

    class Protocol:  # hashable, as Daphne's protocols are
        def __init__(self, **fields) -> None:
            self.__dict__.update(fields)

    async def run():
        server = SimpleNamespace(
            application=application,
            connections={},
            request_buffer_size=CHUNK,
            handle_reply=lambda protocol, message: None,
        )
        body = io.BytesIO(os.urandom(100_000))
        http_request = Protocol(content=body)
        server.connections[http_request] = {}
        queue = _create_application(None, server, http_request, {"type": "http"})
        assert isinstance(queue, BodyQueue) and queue.chunk_size == CHUNK_BYTES
        assert body.tell() == 100_000  # Daphne's own loop reads nothing more
        first = await queue.get()
        assert first["body"] == body.getvalue()[:CHUNK_BYTES]
        await server.connections[http_request]["application_instance"]
        socket = Protocol()
        daphnes = _create_application(
            lambda *args: "daphne's", server, socket, {"type": "websocket"}
        )
        assert daphnes == "daphne's"

    asyncio.run(run())


def test_installing_twice_wraps_once():
    from daphne.server import Server

    stream_request_bodies()
    installed = Server.create_application
    stream_request_bodies()
    assert Server.create_application is installed


# --- a real Daphne process ------------------------------------------------------------


CSRF = "testcsrfsecrettestcsrfsecret1234"


@pytest.fixture
def daphne(transactional_db, tmp_path):
    server = DaphneServer(env={"STORAGE_URL": f"file://{tmp_path / 'files'}"}).start()
    yield server
    server.stop()


def zip_of(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data.bin", os.urandom(size))
    return out.getvalue()


def multipart(name: str, content: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def headers_for(session: str, content_type: str, length: int) -> dict[str, str]:
    return {
        "Cookie": f"sessionid={session}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "Content-Type": content_type,
        "Content-Length": str(length),
    }


def test_daphne_stores_a_large_upload_whole(daphne, member, other_country_member, legal):
    """6 MB: Twisted spools it to a temporary file; the application reads ~770 chunks."""
    content = zip_of(6 * 1024 * 1024)
    content_type, body = multipart("survey.zip", content)
    connection = http.client.HTTPConnection("127.0.0.1", daphne.port, timeout=120)
    connection.request(
        "POST",
        "/files/upload/",
        body=body,
        headers=headers_for(session_for(member), content_type, len(body)),
    )
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    assert response.status == 200, answer
    stored = Attachment.objects.select_related("blob").get(pk=answer["files"][0]["id"])
    assert stored.name == "survey.zip" and stored.uploader == member
    assert stored.blob.size == len(content)
    assert stored.blob.sha256 == hashlib.sha256(content).hexdigest()
    assert "Traceback" not in daphne.log_text()


def test_daphne_still_serves_small_bodies_websockets_and_dropped_clients(
    daphne, member, other_country_member, legal
):
    from forum.actions import threads as actions

    thread = actions.create_thread(author=member, group=legal, title="Small", body="x")
    # A client that sends a large body and goes away before the answer harms nobody.
    content_type, body = multipart("gone.zip", zip_of(2 * 1024 * 1024))
    with socket.create_connection(("127.0.0.1", daphne.port), timeout=30) as raw:
        head = "".join(
            f"{k}: {v}\r\n"
            for k, v in headers_for(session_for(member), content_type, len(body)).items()
        )
        raw.sendall(f"POST /files/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        raw.sendall(body)
    with open_socket(daphne, session_for(other_country_member)) as listener:
        assert reply_over_http(daphne, session_for(member), thread.posts.get().pk, "Hi") == 302
        frame = json.loads(listener.recv(timeout=15))
        while frame.get("type") != "post.created":
            frame = json.loads(listener.recv(timeout=15))
        assert "Hi" in frame["data"]["html"]
    assert "Traceback" not in daphne.log_text()


def test_twisted_leaves_a_posted_form_to_django():
    """Twisted would parse a multipart POST into `request.args`, the whole body in memory."""
    from types import SimpleNamespace

    from daphne.http_protocol import WebRequest

    stream_request_bodies()
    server = SimpleNamespace(protocol_connected=lambda request: None)
    channel = SimpleNamespace(
        factory=SimpleNamespace(server=server),
        transport=None,
        getPeer=lambda: None,
        getHost=lambda: None,
    )
    request = WebRequest(channel)
    content_type, body = multipart("form.zip", b"PK\x03\x04" + os.urandom(1000))
    request.requestHeaders.setRawHeaders(b"Content-Type", [content_type.encode()])
    request.gotLength(len(body))
    request.handleContentChunk(body)
    handed = []
    request.process = lambda: handed.append(request.content.read())
    request.requestReceived(b"POST", b"/files/upload/", b"HTTP/1.1")
    assert request.args == {}
    assert handed == [body]  # the body itself, untouched, for Daphne to hand on
