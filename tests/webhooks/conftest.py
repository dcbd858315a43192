"""Fixtures of the webhook tests: a loopback receiver and endpoints made by the chair."""

from __future__ import annotations

import pytest

from tests.webhooks.receiver import Receiver, Reply
from webhooks.actions import endpoints


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    """The receivers listen on 127.0.0.1, which real deployments refuse."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.SITE_URL = "https://forum.example.org"


@pytest.fixture
def receiver():
    with Receiver() as hook:
        yield hook


@pytest.fixture
def make_receiver():
    """Start receivers that answer with `answer(request) -> Reply`; all stop after the test."""
    started = []

    def make(answer=None) -> Receiver:
        hook = Receiver(answer).__enter__()
        started.append(hook)
        return hook

    yield make
    for hook in started:
        hook.__exit__(None, None, None)


@pytest.fixture
def add_endpoint(chair, legal):
    """Add an endpoint to legal-policy as its chair; returns (endpoint, secret)."""

    def add(url: str, *, actor=None, group=None, **fields):
        fields.setdefault("name", "Partner system")
        return endpoints.create_endpoint(
            actor=actor or chair, group=group or legal, url=url, **fields
        )

    return add


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """Run `action()` and then what it enqueued on commit (the tasks run in-process)."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result

    return run


__all__ = ["Reply"]
