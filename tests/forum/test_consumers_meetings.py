"""The meeting room socket from the outside: refusals, chat, acks, resume, moderation."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from forum.actions import meetings as actions
from forum.asgi import application
from forum.models import ChatMessage
from tests.forum.test_consumers_groups import closed_with, frames, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)
run = database_sync_to_async


@pytest.fixture(autouse=True)
def groups(legal, promotion):
    """Transactional tests flush the data migration's groups; bring them back."""


async def connect(member, meeting_id):
    headers = [(b"origin", b"http://testserver")]
    if member is not None:
        headers.append((b"cookie", f"sessionid={await session_cookie(member)}".encode()))
    communicator = WebsocketCommunicator(
        application, f"/ws/meetings/{meeting_id}/", headers=headers
    )
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def opened(member, meeting, *, after=None):
    socket = await connect(member, meeting.pk)
    hello = await socket.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    presence = await socket.receive_json_from(timeout=5)
    assert presence["type"] == "presence"
    await socket.send_json_to({"type": "resume", "after": hello["seq"] if after is None else after})
    return socket


async def test_anonymous_gets_4401_and_unknown_meeting_4404(member, live_meeting):
    assert await closed_with(await connect(None, live_meeting.pk)) == 4401
    assert await closed_with(await connect(member, 999_999)) == 4404


async def test_a_meeting_id_past_the_integer_range_gets_4404(member):
    assert await closed_with(await connect(member, "9" * 25)) == 4404
    assert await closed_with(await connect(member, str(2**63))) == 4404


async def test_outside_the_audience_or_group_gets_4404_like_a_missing_meeting(
    schedule, other_country_member, outsider
):
    """A domestic meeting of Egypt's chair refuses Zambia's member, and non-members too."""
    meeting = await run(schedule)(audience="domestic")
    assert await closed_with(await connect(other_country_member, meeting.pk)) == 4404
    assert await closed_with(await connect(outsider, meeting.pk)) == 4404


async def test_hello_carries_the_meeting_state(member, live_meeting):
    socket = await connect(member, live_meeting.pk)
    hello = await socket.receive_json_from(timeout=5)
    assert hello["seq"] == 1
    assert hello["data"]["state"] == "live" and hello["data"]["chat_open"] is True
    await socket.disconnect()


async def test_a_message_is_acked_to_its_sender_and_broadcast_to_all(
    member, other_country_member, live_meeting
):
    sender = await opened(member, live_meeting)
    reader = await opened(other_country_member, live_meeting)
    await sender.send_json_to({"type": "chat.send", "client_id": "c-1", "body": "Hello *all*"})
    got = await frames(sender)
    assert {"type": "chat.ack", "client_id": "c-1", "seq": 2} in got
    [message] = [f for f in got if f["type"] == "chat.message"]
    [seen] = await frames(reader)
    assert seen == message
    assert seen["seq"] == 2
    assert seen["data"]["html"] == "<p>Hello <em>all</em></p>\n"
    assert seen["data"]["author"]["handle"] == member.handle
    assert seen["data"]["client_id"] == "c-1"
    await sender.disconnect()
    await reader.disconnect()


async def test_ten_identical_sends_at_once_give_one_row_and_one_seq(member, live_meeting):
    """Ten sockets of one member send the same client_id together (a retry storm)."""
    sockets = [await opened(member, live_meeting) for _ in range(10)]
    for socket in sockets:
        await frames(socket, timeout=0.2)
    frame = {"type": "chat.send", "client_id": "storm", "body": "once"}
    await asyncio.gather(*(socket.send_json_to(frame) for socket in sockets))

    async def ack_of(socket) -> dict:
        # The ten sends take turns on the database: wait for each one's answer, however
        # long its turn was (collecting until a quiet gap missed a late one under load).
        while True:
            answer = await socket.receive_json_from(timeout=10)
            assert answer["type"] != "error", answer
            if answer["type"] == "chat.ack":
                return answer

    acks = [await ack_of(socket) for socket in sockets]
    assert len(acks) == 10 and {a["seq"] for a in acks} == {2}
    assert await run(ChatMessage.objects.count)() == 1
    for socket in sockets:
        await socket.disconnect()


async def test_resume_replays_missed_messages_in_order_without_duplicates(
    member, other_country_member, live_meeting
):
    for n in range(3):
        await run(actions.send_chat)(
            author=member, meeting=live_meeting, client_id=f"m{n}", body=f"message {n}"
        )
    socket = await opened(other_country_member, live_meeting, after=2)  # saw seq 1 and 2
    replayed = await frames(socket)
    assert [(f["type"], f["seq"]) for f in replayed] == [("chat.message", 3), ("chat.message", 4)]
    # The same position again: nothing is sent twice on one socket.
    await socket.send_json_to({"type": "resume", "after": 2})
    assert await frames(socket) == []
    await socket.disconnect()


async def test_resume_after_a_gap_gets_what_happened_meanwhile(
    member, other_country_member, live_meeting, chair
):
    socket = await opened(other_country_member, live_meeting)
    await socket.disconnect()
    message, _ = await run(actions.send_chat)(
        author=member, meeting=live_meeting, client_id="x", body="meanwhile"
    )
    await run(actions.remove_chat_message)(member=chair, message=message, reason="dup")
    await run(actions.send_chat)(author=member, meeting=live_meeting, client_id="y", body="later")
    socket = await opened(other_country_member, live_meeting, after=1)
    got = await frames(socket)
    assert [f["type"] for f in got] == ["chat.message", "chat.removed", "chat.message"]
    assert got[0]["data"]["html"] == "" and got[0]["data"]["removed"] is True
    assert got[1]["data"] == {"id": message.pk, "message_seq": 2}
    assert got[2]["data"]["html"] == "<p>later</p>\n"
    await socket.disconnect()


async def test_removal_and_mute_reach_clients_live(
    member, other_country_member, live_meeting, chair
):
    reader = await opened(other_country_member, live_meeting)
    sender = await opened(member, live_meeting)
    await sender.send_json_to({"type": "chat.send", "client_id": "r-1", "body": "oops"})
    [message] = await frames(reader)
    await frames(sender)
    stored = await run(ChatMessage.objects.get)()
    await run(actions.remove_chat_message)(member=chair, message=stored, reason="Off topic")
    [removed] = await frames(reader)
    assert removed["type"] == "chat.removed" and removed["data"]["id"] == message["data"]["id"]
    await run(actions.mute_participant)(member=chair, meeting=live_meeting, participant=member)
    await frames(reader)
    await frames(sender)
    await sender.send_json_to({"type": "chat.send", "client_id": "r-2", "body": "again"})
    [error] = await frames(sender)
    assert error["type"] == "error" and error["code"] == "muted" and error["client_id"] == "r-2"
    await reader.disconnect()
    await sender.disconnect()


async def test_chat_closed_outside_live_state_answers_an_error(member, meeting):
    socket = await opened(member, meeting)
    await socket.send_json_to({"type": "chat.send", "client_id": "early", "body": "hi"})
    [error] = await frames(socket)
    assert error["code"] == "chat_closed" and error["client_id"] == "early"
    assert await run(ChatMessage.objects.count)() == 0
    await socket.disconnect()


async def test_slow_mode_and_rate_limit_answer_errors(member, live_meeting, chair):
    socket = await opened(member, live_meeting)
    for n in range(6):
        await socket.send_json_to({"type": "chat.send", "client_id": f"r{n}", "body": f"{n}"})
    got = await frames(socket)
    errors = [f for f in got if f["type"] == "error"]
    assert [e["code"] for e in errors] == ["rate_limited"] and errors[0]["client_id"] == "r5"
    assert len([f for f in got if f["type"] == "chat.ack"]) == 5
    await run(actions.set_slow_mode)(member=chair, meeting=live_meeting, seconds=60)
    [state] = await frames(socket)
    assert state["type"] == "meeting.chat" and state["data"]["slow_mode"] == 60
    await socket.disconnect()


async def test_bad_frames_get_error_frames_and_the_socket_stays(member, live_meeting):
    socket = await opened(member, live_meeting)
    await socket.send_to(text_data="not json")
    await socket.send_json_to({"type": "chat.send", "client_id": 5, "body": "x"})
    await socket.send_json_to({"type": "chat.send", "client_id": "b", "body": "x" * 4001})
    await socket.send_to(text_data=json.dumps({"type": "chat.send", "body": "y" * 70_000}))
    await socket.send_json_to({"type": "chat.dance"})
    codes = [f["code"] for f in await frames(socket)]
    assert codes == ["bad_json", "bad_frame", "body_length", "frame_too_large", "unknown_type"]
    await socket.send_json_to({"type": "ping"})
    assert await frames(socket) == [{"type": "pong"}]
    await socket.disconnect()


@pytest.mark.parametrize(
    "body", ["\ud800 lone surrogate", "nul \u0000 inside", "bell \u0007", "escape \u001b[31m"]
)
async def test_chat_refuses_what_the_forms_refuse_with_an_error_frame(member, live_meeting, body):
    socket = await opened(member, live_meeting)
    await socket.send_json_to({"type": "chat.send", "client_id": "bad-1", "body": body})
    [error] = await frames(socket)
    assert error["type"] == "error" and error["code"] == "bad_characters"
    assert error["client_id"] == "bad-1"
    assert await run(ChatMessage.objects.count)() == 0
    await socket.send_json_to({"type": "chat.send", "client_id": "ok-1", "body": "tab\tand\nlines"})
    assert any(f["type"] == "chat.ack" for f in await frames(socket))
    await socket.disconnect()


async def test_the_chat_form_refuses_the_same_characters(member, live_meeting):
    from tests.conftest import client_for

    client = await run(client_for)(member)
    for body in ("nul \u0000 inside", "bell \u0007"):
        response = await run(client.post)(
            f"/m/{live_meeting.pk}/chat/", {"client_id": "form-1", "body": body}, follow=True
        )
        assert response.status_code == 200
    assert await run(ChatMessage.objects.count)() == 0


async def test_a_deeply_nested_frame_answers_bad_json_in_a_meeting_room(member, live_meeting):
    socket = await opened(member, live_meeting)
    await socket.send_to(text_data="[" * 30_000 + "]" * 30_000)
    [error] = await frames(socket)
    assert error["code"] == "bad_json"
    await socket.send_json_to({"type": "ping"})
    assert await frames(socket) == [{"type": "pong"}]
    await socket.disconnect()


async def test_an_unexpected_failure_answers_an_error_frame_and_keeps_the_socket(
    member, live_meeting, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(actions, "send_chat", broken)
    socket = await opened(member, live_meeting)
    await socket.send_json_to({"type": "chat.send", "client_id": "b-1", "body": "hello"})
    [error] = await frames(socket)
    assert error["type"] == "error" and error["code"] == "server_error"
    assert error["client_id"] == "b-1" and error["message"]
    await socket.send_json_to({"type": "ping"})
    assert await frames(socket) == [{"type": "pong"}]
    await socket.disconnect()


async def test_meeting_start_and_end_reach_the_room(member, meeting, chair):
    socket = await opened(member, meeting)
    await run(actions.start_meeting)(member=chair, meeting=meeting)
    await run(actions.end_meeting)(member=chair, meeting=meeting)
    got = await frames(socket)
    assert [(f["type"], f["data"]["state"]) for f in got] == [
        ("meeting.started", "live"),
        ("meeting.ended", "ended"),
    ]
    await socket.disconnect()
