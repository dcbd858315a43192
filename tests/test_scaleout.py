"""Two real Daphne processes sharing a private Redis: fan-out across processes, and a
Redis outage that loses no post and no event."""

from __future__ import annotations

import pytest

from forum.actions import threads as actions
from tests.servers import (
    DaphneServer,
    next_event,
    open_socket,
    reply_over_http,
    session_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
