"""Two real Daphne processes sharing a private Redis: fan-out across processes, and a
Redis outage that loses no post and no event."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from forum.actions import threads as actions
from tests.conftest import skip_or_fail
from tests.servers import (
    DaphneServer,
    free_port,
    next_event,
    open_socket,
    reply_over_http,
    session_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


class PrivateRedis:
    """A redis-server of our own on a free port, so stopping it harms nobody else."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server") or "/usr/sbin/redis-server"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis():
    if not (shutil.which("redis-server") or os.path.exists("/usr/sbin/redis-server")):
        skip_or_fail("redis-server not installed")
    redis = PrivateRedis().start()
    yield redis
    redis.stop()


@pytest.fixture
def two_servers(private_redis, legal):
    servers = [DaphneServer(env={"REDIS_URL": private_redis.url}).start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


def test_a_post_made_through_one_process_reaches_a_socket_on_the_other(
    two_servers, member, other_country_member, legal
):
    first, second = two_servers
    thread = actions.create_thread(author=member, group=legal, title="Across", body="x")
    with open_socket(second, session_for(other_country_member)) as listener:
        status = reply_over_http(first, session_for(member), thread.posts.get().pk, "Hello")
        assert status == 302
        event = next_event(listener, timeout=15)
    assert event["type"] == "post.created"
    assert "Hello" in event["data"]["html"]


def test_redis_down_while_posting_loses_nothing(
    two_servers, private_redis, member, other_country_member, legal
):
    first, second = two_servers
    thread = actions.create_thread(author=member, group=legal, title="Outage", body="x")
    opening = thread.posts.get().pk
    writer = session_for(member)
    with open_socket(second, session_for(other_country_member)) as listener:
        private_redis.stop()
        assert reply_over_http(first, writer, opening, "Written during the outage") == 302
        assert thread.posts.filter(body_source="Written during the outage").exists()

        private_redis.start()  # same port
        event = next_event(listener, timeout=30)  # the hub's check finds it in the log
        assert "Written during the outage" in event["data"]["html"]
        assert reply_over_http(first, writer, opening, "After the outage") == 302
        event = next_event(listener, timeout=30)
        assert "After the outage" in event["data"]["html"]
