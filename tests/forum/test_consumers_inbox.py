"""/ws/inbox/: a member's own notifications live, resumable, never someone else's."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from forum.actions import notifications
from forum.actions import threads as actions
from forum.asgi import application
from tests.forum.test_consumers_groups import closed_with, frames, run, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("posting_unlimited")]


@pytest.fixture(autouse=True)
def groups(legal, promotion):
    """Transactional tests flush the data migration's groups; bring them back."""


async def inbox(member, *, resume=True):
    headers = [(b"origin", b"http://testserver")]
    if member is not None:
        headers.append((b"cookie", f"sessionid={await session_cookie(member)}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    if member is None:
        return communicator, None
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    if resume:
        await communicator.send_json_to({"type": "resume", "after": hello["seq"]})
    return communicator, hello


async def test_anonymous_inbox_closes_with_4401():
    communicator, _ = await inbox(None)
    assert await closed_with(communicator) == 4401


async def test_reply_arrives_live_with_the_unread_count(thread, member, other_country_member):
    """A reply to my post reaches my inbox socket as notification.created, without text."""
    communicator, hello = await inbox(member)
    assert hello["unread"] == 0
    opening = await run(thread.posts.get)()
    await run(actions.reply)(author=other_country_member, parent=opening, body="Secret text")
    received = await frames(communicator)
    assert [f["type"] for f in received] == ["notification.created"]
    assert received[0]["data"]["kind"] == "reply"
    assert received[0]["data"]["unread"] == 1
    assert "Secret text" not in str(received)
    await communicator.disconnect()


async def test_others_notifications_never_arrive(thread, member, other_country_member):
    """My socket carries only my stream: a notification for someone else never shows."""
    communicator, _ = await inbox(other_country_member)
    opening = await run(thread.posts.get)()
    await run(actions.reply)(author=other_country_member, parent=opening, body="Mine")
    assert await frames(communicator) == []
    await communicator.disconnect()


async def test_resume_replays_what_was_missed(thread, member, other_country_member):
    """A client that reconnects with resume gets every missed notification once, in order."""
    communicator, hello = await inbox(member)
    await communicator.disconnect()
    opening = await run(thread.posts.get)()
    for n in range(3):
        await run(actions.reply)(author=other_country_member, parent=opening, body=f"r{n}")
    await run(notifications.mark_read)(member=member)
    again, _ = await inbox(member, resume=False)
    await again.send_json_to({"type": "resume", "after": hello["seq"]})
    received = await frames(again)
    assert [f["type"] for f in received] == ["notification.created"] * 3 + ["notification.read"]
    assert [f["seq"] for f in received] == [hello["seq"] + n for n in range(1, 5)]
    assert received[-1]["data"]["unread"] == 0
    await again.disconnect()


async def test_bad_frames_get_errors_and_the_socket_stays(member):
    communicator, _ = await inbox(member)
    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "bad_json"
    await communicator.send_json_to({"type": "typing", "thread": 1})
    assert (await communicator.receive_json_from(timeout=5))["code"] == "unknown_type"
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "pong"
    await communicator.disconnect()


async def test_resume_beyond_the_current_seq_answers_resync_then_events_arrive(
    thread, member, other_country_member
):
    communicator, hello = await inbox(member, resume=False)
    await communicator.send_json_to({"type": "resume", "after": hello["seq"] + 5})
    assert await frames(communicator) == [{"type": "resync", "seq": hello["seq"]}]
    opening = await run(thread.posts.get)()
    await run(actions.reply)(author=other_country_member, parent=opening, body="Later")
    assert [f["type"] for f in await frames(communicator)] == ["notification.created"]
    await communicator.disconnect()
