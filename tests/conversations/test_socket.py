"""Direct messages on /ws/inbox/: live, resumable, in order, never to a non-participant."""

from __future__ import annotations

import pytest

from conversations.actions import messages as actions
from tests.conversations.conftest import say
from tests.forum.test_consumers_groups import frames, run
from tests.forum.test_consumers_inbox import inbox

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def groups(legal, promotion):
    """Transactional tests flush the data migration's groups; bring them back."""


def dm(received, type_="dm.message"):
    return [f for f in received if f["type"] == type_]


async def test_a_message_arrives_live_with_its_seq_and_unread_count(
    member, other_country_member, pair
):
    socket, hello = await inbox(other_country_member)
    assert hello["unread_conversations"] == 1  # the opening message
    await run(say)(member, pair, "**Live** hello")
    received = dm(await frames(socket))
    assert len(received) == 1
    data = received[0]["data"]
    assert data["conversation"] == pair.pk and data["conversation_seq"] == 2
    assert "<strong>Live</strong>" in data["html"]
    assert data["unread_conversations"] == 1
    await socket.disconnect()


async def test_a_non_participant_gets_nothing_on_any_socket(
    member, other_country_member, pair, make_member, legal
):
    stranger = await run(make_member)(country="ZM", groups=[legal])
    socket, _hello = await inbox(stranger)
    await run(say)(member, pair, "Private words")
    await socket.send_json_to({"type": "resume", "after": 0})
    assert "Private words" not in str(await frames(socket))
    # Writing, reading or typing into it answers like a conversation that does not exist.
    for frame in (
        {"type": "dm.send", "conversation": pair.pk, "client_id": "x1", "body": "hi"},
        {"type": "dm.read", "conversation": pair.pk},
        {"type": "dm.typing", "conversation": pair.pk},
        {"type": "dm.send", "conversation": 10**12, "client_id": "x2", "body": "hi"},
    ):
        await socket.send_json_to(frame)
        reply = await socket.receive_json_from(timeout=5)
        assert (reply["type"], reply["code"]) == ("error", "not_found")
    await socket.disconnect()


async def test_send_over_the_socket_acks_and_reaches_the_other_member(
    member, other_country_member, pair
):
    mine, _ = await inbox(member)
    theirs, _ = await inbox(other_country_member)
    frame = {"type": "dm.send", "conversation": pair.pk, "client_id": "abc-1", "body": "Hi"}
    await mine.send_json_to(frame)
    got = await frames(mine)
    ack = next(f for f in got if f["type"] == "dm.ack")
    assert ack["client_id"] == "abc-1" and ack["conversation_seq"] == 2
    # The sender's other tabs get the message too (their own copy, already read).
    assert [f["data"]["client_id"] for f in dm(got)] == ["abc-1"]
    assert [f["data"]["conversation_seq"] for f in dm(await frames(theirs))] == [2]
    # A retry after a lost ack stores nothing new and acks the same seq.
    await mine.send_json_to(frame)
    again = await frames(mine)
    assert [f["conversation_seq"] for f in again if f["type"] == "dm.ack"] == [2]
    assert dm(again) == []
    await mine.disconnect()
    await theirs.disconnect()


async def test_resume_after_a_drop_delivers_every_missed_message_in_order(
    member, other_country_member, pair, make_member, legal
):
    """Messages in two conversations, a read receipt and an edit arrive while the socket
    is away: the resume replays all of them once, each conversation in seq order."""
    third = await run(make_member)(country="KE", groups=[legal])
    other, _first = await run(actions.start_conversation)(
        author=third, recipients=[other_country_member], body="Other start", client_id="o1"
    )
    socket, hello = await inbox(other_country_member)
    await socket.disconnect()
    for n in range(3):
        await run(say)(member, pair, f"pair {n}")
        await run(say)(third, other, f"other {n}")
    again, _ = await inbox(other_country_member, resume=False)
    await again.send_json_to({"type": "resume", "after": hello["seq"]})
    received = dm(await frames(again))
    seqs = [f["seq"] for f in received]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) == 6
    for conversation in (pair.pk, other.pk):
        mine = [f["data"] for f in received if f["data"]["conversation"] == conversation]
        assert [m["conversation_seq"] for m in mine] == [2, 3, 4]
    await again.disconnect()


async def test_a_deleted_message_is_gone_from_the_replay(member, other_country_member, pair):
    socket, _hello = await inbox(other_country_member)
    await socket.disconnect()
    message = await run(say)(member, pair, "Oops, wrong chat")
    await run(actions.delete_message)(author=member, message=message)
    again, _ = await inbox(other_country_member, resume=False)
    await again.send_json_to({"type": "resume", "after": 0})
    received = await frames(again)
    assert "Oops" not in str(received)
    replayed = next(f for f in dm(received) if f["data"]["id"] == message.pk)
    assert replayed["data"]["deleted"] is True and replayed["data"]["html"] == ""
    assert [f["data"]["id"] for f in dm(received, "dm.deleted")] == [message.pk]
    await again.disconnect()


async def test_typing_and_seen_by_reach_the_other_member(member, other_country_member, pair):
    mine, _ = await inbox(member)
    theirs, _ = await inbox(other_country_member)
    await theirs.send_json_to({"type": "dm.typing", "conversation": pair.pk})
    typing = dm(await frames(mine), "dm.typing")
    assert [t["data"]["member"]["id"] for t in typing] == [other_country_member.pk]
    await theirs.send_json_to({"type": "dm.read", "conversation": pair.pk})
    seen = dm(await frames(mine), "dm.read")
    assert [(s["data"]["member"]["id"], s["data"]["read_seq"]) for s in seen] == [
        (other_country_member.pk, 1)
    ]
    own = dm(await frames(theirs), "dm.read")
    assert own and own[0]["data"]["unread_conversations"] == 0
    await mine.disconnect()
    await theirs.disconnect()


async def test_bad_dm_frames_get_errors_and_the_socket_stays_open(member, pair):
    socket, _ = await inbox(member)
    for frame, code in (
        ({"type": "dm.send", "conversation": pair.pk, "body": "no id"}, "bad_frame"),
        ({"type": "dm.send", "conversation": "1", "client_id": "a", "body": "x"}, "bad_frame"),
        ({"type": "dm.send", "conversation": pair.pk, "client_id": "a", "body": " "}, "body_empty"),
        ({"type": "dm.read", "conversation": True}, "bad_frame"),
        ({"type": "dm.typing"}, "bad_frame"),
    ):
        await socket.send_json_to(frame)
        reply = await socket.receive_json_from(timeout=5)
        assert (reply["type"], reply["code"]) == ("error", code), frame
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(timeout=5))["type"] == "pong"
    await socket.disconnect()


async def test_a_socket_sends_with_the_member_read_at_connect_until_a_recheck(
    monkeypatch, member, other_country_member, pair
):
    """No query for the sender's row on a socket's first sends; a change to the member
    (country, groups, staff) makes the next send read it again."""
    from conversations import consumers

    reads = []
    original = consumers._member

    async def counted(member_id):
        reads.append(member_id)
        return await original(member_id)

    monkeypatch.setattr(consumers, "_member", counted)
    mine, _ = await inbox(member)
    for n in (1, 2):
        await mine.send_json_to(
            {"type": "dm.send", "conversation": pair.pk, "client_id": f"r-{n}", "body": "Hi"}
        )
        assert any(f["type"] == "dm.ack" for f in await frames(mine))
    assert reads == []
    await run(member.save)()  # member_changed: every socket of theirs rechecks
    await frames(mine)
    await mine.send_json_to(
        {"type": "dm.send", "conversation": pair.pk, "client_id": "r-3", "body": "Hi"}
    )
    assert any(f["type"] == "dm.ack" for f in await frames(mine))
    assert reads == [member.pk]
    await mine.disconnect()
