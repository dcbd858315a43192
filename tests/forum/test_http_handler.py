"""Pages under ASGI run their whole middleware chain and view in one worker thread."""

from __future__ import annotations

import pytest
from asgiref.sync import AsyncToSync, async_to_sync
from channels.testing import HttpCommunicator

from forum.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def _get(path: str) -> dict:
    async def fetch() -> dict:
        communicator = HttpCommunicator(
            application, "GET", path, headers=[(b"host", b"testserver")]
        )
        return await communicator.get_response(timeout=10)

    return async_to_sync(fetch)()


def test_a_page_runs_every_middleware_without_crossing_back_to_the_event_loop(monkeypatch):
    crossings = []
    original = AsyncToSync.__call__

    def counted(self, *args, **kwargs):
        if getattr(self.awaitable, "__name__", None) != "fetch":  # the test's own call
            crossings.append(self.awaitable)
        return original(self, *args, **kwargs)

    _get("/accounts/login/")  # warm: the first request loads the URLs and templates
    monkeypatch.setattr(AsyncToSync, "__call__", counted)
    response = _get("/accounts/login/")
    monkeypatch.undo()

    assert response["status"] == 200
    headers = {name.decode().lower(): value.decode() for name, value in response["headers"]}
    # Security, locale, CSRF, clickjacking and CSP middleware all ran.
    assert headers["x-frame-options"] == "DENY"
    assert "content-security-policy" in headers
    assert headers["content-language"] == "en"
    assert "csrftoken=" in headers.get("set-cookie", "")
    assert b'name="csrfmiddlewaretoken"' in response["body"]
    # Under Django's own ASGI chain the sync-only middleware called the async-capable
    # ones below it back on the event loop, once per request at least.
    assert crossings == []


def test_an_error_page_still_answers_through_the_chain():
    response = _get("/t/999999/")
    assert response["status"] == 302  # not signed in: to the login page
    response = _get("/no-such-page/")
    assert response["status"] == 404
