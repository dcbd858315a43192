"""The live path under real servers: Daphne's direct socket writes really engage, and the
same application works under uvicorn (the ordinary ASGI path) with live events and resume."""

from __future__ import annotations

import json

import pytest

from forum.actions import threads as actions
from tests.servers import (
    DaphneServer,
    UvicornServer,
    next_event,
    open_socket,
    reply_over_http,
    session_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def daphne(legal):
    server = DaphneServer().start()
    yield server
    server.stop()


@pytest.fixture
def uvicorn(legal):
    server = UvicornServer().start()
    yield server
    server.stop()


def test_daphne_takes_the_direct_write_path(daphne, member, other_country_member, legal):
    """If a Daphne or autobahn release silently disabled the fast path, this fails."""
    thread = actions.create_thread(author=member, group=legal, title="Fast", body="x")
    with open_socket(daphne, session_for(other_country_member)) as listener:
        assert reply_over_http(daphne, session_for(member), thread.posts.get().pk, "Hi") == 302
        assert "Hi" in next_event(listener, timeout=15)["data"]["html"]
    log = daphne.log_text()
    assert "WebSocket writes: direct (Daphne)" in log
    assert "WebSocket writes: ordinary" not in log


def test_live_events_and_resume_work_under_uvicorn(uvicorn, member, other_country_member, legal):
    """Under another ASGI server every frame takes the outbox; nothing is lost on a drop."""
    thread = actions.create_thread(author=member, group=legal, title="Elsewhere", body="x")
    opening = thread.posts.get().pk
    writer, reader = session_for(member), session_for(other_country_member)
    with open_socket(uvicorn, reader) as listener:
        listener.send(json.dumps({"type": "resume", "after": 0}))
        assert reply_over_http(uvicorn, writer, opening, "Live one") == 302
        live = next_event(listener, timeout=15)
        while live["type"] != "post.created":
            live = next_event(listener, timeout=15)
        assert "Live one" in live["data"]["html"]
    # Dropped: a reply lands while no socket is open, then the client resumes.
    assert reply_over_http(uvicorn, writer, opening, "While away") == 302
    with open_socket(uvicorn, reader) as listener:
        listener.send(json.dumps({"type": "resume", "after": live["seq"]}))
        missed = next_event(listener, timeout=15)
    assert missed["seq"] == live["seq"] + 1
    assert "While away" in missed["data"]["html"]
    assert "WebSocket writes: ordinary" in uvicorn.log_text()
