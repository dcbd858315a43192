"""The group WebSocket from the outside: real ASGI app, auth, origin, events, resume."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from forum import events
from forum.actions import memberships
from forum.actions import threads as actions
from forum.asgi import application
from forum.consumers.groups import Opened, open_socket
from forum.models import Event, PostStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def groups(legal, promotion):
    """Transactional tests flush the data migration's groups; bring them back."""


@database_sync_to_async
def session_cookie(member) -> str:
    client = Client()
    client.force_login(member)
    return client.cookies["sessionid"].value


async def connect(member, slug="legal-policy", origin="http://testserver"):
    headers = [(b"origin", origin.encode())]
    if member is not None:
        headers.append((b"cookie", f"sessionid={await session_cookie(member)}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/groups/{slug}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def opened(member, slug="legal-policy", *, resume=True):
    """Connect like the page's client: read hello and presence, then resume from hello."""
    communicator, connected, _code = await connect(member, slug)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    presence = await communicator.receive_json_from(timeout=5)
    assert presence["type"] == "presence"
    if resume:
        await communicator.send_json_to({"type": "resume", "after": hello["seq"]})
    return communicator


async def frames(communicator, timeout=0.5, *, presence=False) -> list[dict]:
    """Collect every frame that arrives within `timeout` of the previous one."""
    received = []
    # receive_nothing() waits without cancelling the application, unlike a timed-out receive.
    while not await communicator.receive_nothing(timeout=timeout):
        frame = await communicator.receive_json_from(timeout=5)
        if presence or frame["type"] != "presence":
            received.append(frame)
    return received


async def closed_with(communicator) -> int:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output["code"]


run = database_sync_to_async


async def test_anonymous_socket_closes_with_4401():
    communicator, connected, _ = await connect(None)
    assert connected
    assert await closed_with(communicator) == 4401


async def test_non_member_closes_with_4403(outsider):
    communicator, _, _ = await connect(outsider)
    assert await closed_with(communicator) == 4403


async def test_unknown_group_closes_with_4404(member):
    communicator, _, _ = await connect(member, slug="no-such-group")
    assert await closed_with(communicator) == 4404


async def test_foreign_origin_is_refused(member):
    _communicator, connected, _ = await connect(member, origin="https://evil.example")
    assert not connected


async def test_new_thread_and_reply_arrive_live_with_seq_and_html(
    member, other_country_member, legal
):
    socket = await opened(other_country_member)
    thread = await run(actions.create_thread)(
        author=member, group=legal, title="Live thread", body="**hello**"
    )
    [created] = await frames(socket)
    assert created["type"] == "thread.created"
    assert created["data"]["title"] == "Live thread"
    assert created["data"]["post"]["html"] == "<p><strong>hello</strong></p>\n"
    opening = await run(lambda: thread.posts.get())()
    await run(actions.reply)(author=member, parent=opening, body="a reply")
    [reply] = await frames(socket)
    assert reply["type"] == "post.created" and reply["seq"] == created["seq"] + 1
    assert reply["data"]["parent"] == opening.pk
    assert reply["data"]["author"]["country"] == "CN"
    await socket.disconnect()


async def test_every_event_type_reaches_the_group(member, moderator, legal, promotion):
    socket = await opened(member)
    thread = await run(actions.create_thread)(author=member, group=legal, title="All", body="x")
    opening = await run(lambda: thread.posts.get())()
    reply = await run(actions.reply)(author=member, parent=opening, body="r")
    await run(actions.edit_post)(editor=member, post=reply, body="r2")
    await run(actions.remove_post)(moderator=moderator, post=reply, reason="spam")
    await run(actions.restore_post)(moderator=moderator, post=reply)
    await run(actions.set_pinned)(moderator=moderator, thread=thread, pinned=True)
    await run(actions.set_locked)(moderator=moderator, thread=thread, locked=True)
    got = await frames(socket)
    assert [f["type"] for f in got] == [
        "thread.created",
        "post.created",
        "post.edited",
        "post.removed",
        "post.restored",
        "thread.updated",
        "thread.updated",
    ]
    assert [f["seq"] for f in got] == sorted(f["seq"] for f in got)
    assert "html" not in got[3]["data"]  # a removal carries no text
    assert got[-1]["data"]["locked"] is True
    await socket.disconnect()


async def test_domestic_thread_never_reaches_another_countrys_socket(
    member, other_country_member, make_member, legal, staff
):
    same_country = await run(make_member)(country="CN", groups=[legal])
    chinese, zambian, staff_socket = (
        await opened(same_country),
        await opened(other_country_member),
        await opened(staff),
    )
    await run(actions.create_thread)(
        author=member, group=legal, title="Domestic", body="x", audience="domestic"
    )
    await run(actions.create_thread)(author=member, group=legal, title="Open", body="x")
    assert [f["data"]["title"] for f in await frames(chinese)] == ["Domestic", "Open"]
    assert [f["data"]["title"] for f in await frames(zambian)] == ["Open"]
    assert [f["data"]["title"] for f in await frames(staff_socket)] == ["Domestic", "Open"]
    for socket in (chinese, zambian, staff_socket):
        await socket.disconnect()


async def test_pending_post_reaches_only_moderators_and_its_author(
    member, other_country_member, moderator, legal
):
    thread = await run(actions.create_thread)(author=member, group=legal, title="Pending", body="x")

    @run
    def pending_reply():
        from forum.models import Post

        post = actions.reply(
            author=other_country_member, parent=thread.posts.get(), body="wait for review"
        )
        # Review arrives with the moderation issue; here the post is made pending by hand
        # and its logged event given the audience such a post gets.
        Post.objects.filter(pk=post.pk).update(status=PostStatus.PENDING)
        post.refresh_from_db()
        from forum import visibility

        Event.objects.filter(type="post.created").update(
            audience=visibility.thread_audience(
                thread, status=post.status, author_id=other_country_member.pk
            ).as_json()
        )

    await pending_reply()
    sockets = {
        "author": await opened(other_country_member, resume=False),
        "reader": await opened(member, resume=False),
        "moderator": await opened(moderator, resume=False),
    }
    for socket in sockets.values():
        await socket.send_json_to({"type": "resume", "after": 1})
    assert [f["type"] for f in await frames(sockets["author"])] == ["post.created"]
    assert await frames(sockets["reader"]) == []
    assert [f["type"] for f in await frames(sockets["moderator"])] == ["post.created"]
    for socket in sockets.values():
        await socket.disconnect()


async def test_resume_replays_what_was_missed_in_order_then_continues_live(member, legal):
    thread = await run(actions.create_thread)(author=member, group=legal, title="Resume", body="x")
    opening = await run(lambda: thread.posts.get())()
    for n in range(3):
        await run(actions.reply)(author=member, parent=opening, body=f"missed {n}")
    socket = await opened(member, resume=False)
    await socket.send_json_to({"type": "resume", "after": 2})
    replayed = await frames(socket)
    assert [f["seq"] for f in replayed] == [3, 4]
    await run(actions.reply)(author=member, parent=opening, body="live")
    live = await frames(socket)
    assert [f["seq"] for f in live] == [5]
    await socket.disconnect()


async def test_resume_skips_events_the_member_may_not_see(member, other_country_member, legal):
    await run(actions.create_thread)(
        author=member, group=legal, title="Hidden", body="x", audience="domestic"
    )
    await run(actions.create_thread)(author=member, group=legal, title="Open to all", body="x")
    socket = await opened(other_country_member, resume=False)
    await socket.send_json_to({"type": "resume", "after": 0})
    assert [f["data"]["title"] for f in await frames(socket)] == ["Open to all"]
    await socket.disconnect()


async def test_resume_older_than_the_log_answers_resync(member, legal):
    await run(actions.create_thread)(author=member, group=legal, title="Old", body="x")
    await run(actions.create_thread)(author=member, group=legal, title="New", body="x")
    await run(lambda: Event.objects.filter(seq=1).delete())()  # pruned
    socket = await opened(member, resume=False)
    await socket.send_json_to({"type": "resume", "after": 0})
    got = await frames(socket)
    assert got == [{"type": "resync", "seq": 2}]
    await socket.disconnect()


@pytest.mark.parametrize("beyond", [1, 1_000, 10**30])
async def test_resume_beyond_the_current_seq_answers_resync_and_live_events_still_arrive(
    member, legal, beyond
):
    await run(actions.create_thread)(author=member, group=legal, title="Before", body="x")
    socket = await opened(member, resume=False)
    await socket.send_json_to({"type": "resume", "after": 1 + beyond})
    assert await frames(socket) == [{"type": "resync", "seq": 1}]
    await run(actions.create_thread)(author=member, group=legal, title="After", body="x")
    [created] = await frames(socket)
    assert created["type"] == "thread.created" and created["seq"] == 2
    await socket.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "resume", "after": "yesterday"}', "bad_frame"),
        (json.dumps({"type": "ping", "pad": "x" * 70_000}), "frame_too_large"),
        # 60 KB of nesting: json.loads recurses past Python's limit.
        ("[" * 30_000 + "]" * 30_000, "bad_json"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_stays_open(member, frame, code):
    socket = await opened(member)
    await socket.send_to(text_data=frame)
    [error] = await frames(socket)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await socket.send_json_to({"type": "ping"})
    assert await frames(socket) == [{"type": "pong"}]
    await socket.disconnect()


async def test_a_flood_of_frames_is_rate_limited_without_closing(member):
    socket = await opened(member)
    for _ in range(40):
        await socket.send_json_to({"type": "ping"})
    got = await frames(socket, timeout=1)
    assert any(f.get("code") == "rate_limited" for f in got)
    await asyncio.sleep(1)
    await socket.send_json_to({"type": "ping"})
    assert (await frames(socket))[-1] == {"type": "pong"}
    await socket.disconnect()


async def test_member_removed_from_the_group_is_disconnected(member, chair, legal):
    socket = await opened(member)
    membership = await run(lambda: member.memberships.get(group=legal))()
    await run(memberships.remove_member)(actor=chair, membership=membership)
    assert await closed_with(socket) == 4403


async def test_logging_out_closes_the_members_sockets(member):
    socket = await opened(member)

    @run
    def log_out():
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.send(sender=type(member), request=None, user=member)

    await log_out()
    assert await closed_with(socket) == 4401


async def test_publishing_failure_loses_nothing(member, legal, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("channel layer down")

    monkeypatch.setattr(events, "async_to_sync", lambda f: broken)
    thread = await run(actions.create_thread)(author=member, group=legal, title="Kept", body="x")
    assert await run(lambda: thread.posts.count())() == 1
    assert await run(lambda: Event.objects.filter(type="thread.created").count())() == 1


async def test_presence_snapshot_on_connect_then_coalesced_deltas(member, other_country_member):
    first = await opened(member)
    second, _connected, _ = await connect(other_country_member)
    assert (await second.receive_json_from(timeout=5))["type"] == "hello"
    snapshot = await second.receive_json_from(timeout=5)
    assert {m["id"] for m in snapshot["data"]["online"]} == {member.pk, other_country_member.pk}
    assert {m["country"] for m in snapshot["data"]["online"]} == {"CN", "ZM"}
    delta = merged(await frames(first, timeout=1.5, presence=True))
    assert delta == {
        "joined": [
            {
                "id": other_country_member.pk,
                "name": other_country_member.display_name,
                "handle": other_country_member.handle,
                "country": "ZM",
            }
        ],
        "left": [],
    }
    await second.disconnect()
    delta = merged(await frames(first, timeout=1.5, presence=True))
    assert delta == {"joined": [], "left": [other_country_member.pk]}
    await first.disconnect()


def merged(deltas: list[dict]) -> dict:
    """Presence deltas coalesce over about a second; on a loaded machine one change may
    straddle two windows. Apply them in order, as a client does."""
    assert deltas and all(frame["type"] == "presence" for frame in deltas)
    joined, left = {}, []
    for frame in deltas:
        for person in frame["data"]["joined"]:
            joined[person["id"]] = person
        for member_id in frame["data"]["left"]:
            joined.pop(member_id, None)
            left.append(member_id)
    return {"joined": list(joined.values()), "left": left}


async def test_typing_reaches_others_who_see_the_thread_and_is_throttled(
    member, other_country_member, make_member, legal
):
    thread = await run(actions.create_thread)(
        author=member, group=legal, title="Domestic typing", body="x", audience="domestic"
    )
    colleague = await run(make_member)(country="CN", groups=[legal])
    typist, same_country, zambian = (
        await opened(member),
        await opened(colleague),
        await opened(other_country_member),
    )
    for socket in (typist, same_country, zambian):
        await frames(socket)
    await typist.send_json_to({"type": "typing", "thread": thread.pk})
    await typist.send_json_to({"type": "typing", "thread": thread.pk})  # throttled
    got = await frames(same_country)
    assert got == [
        {
            "type": "typing",
            "data": {
                "thread": thread.pk,
                "member": {
                    "id": member.pk,
                    "name": member.display_name,
                    "handle": member.handle,
                    "country": "CN",
                },
            },
        }
    ]
    assert await frames(zambian) == []
    assert await frames(typist) == []  # not echoed to the typist
    await zambian.send_json_to({"type": "typing", "thread": thread.pk})
    [error] = await frames(zambian)
    assert error["code"] == "not_found"
    for socket in (typist, same_country, zambian):
        await socket.disconnect()


async def test_an_event_lost_on_the_way_is_filled_in_from_the_log(member, legal, monkeypatch):
    socket = await opened(member)
    thread = await run(actions.create_thread)(author=member, group=legal, title="Gap", body="x")
    opening = await run(lambda: thread.posts.get())()
    real_publish = events.publish
    monkeypatch.setattr(events, "publish", lambda key, event: None)  # the broker loses it
    await run(actions.reply)(author=member, parent=opening, body="lost on the way")
    monkeypatch.setattr(events, "publish", real_publish)
    await run(actions.reply)(author=member, parent=opening, body="arrives live")
    got = await frames(socket)
    assert [f["seq"] for f in got] == [1, 2, 3]
    assert "lost on the way" in got[1]["data"]["html"]
    await socket.disconnect()


async def test_live_event_before_the_first_resume_does_not_swallow_missed_ones(
    member, other_country_member, legal
):
    await run(actions.create_thread)(author=member, group=legal, title="Missed one", body="x")
    await run(actions.create_thread)(author=member, group=legal, title="Missed two", body="x")
    socket = await opened(other_country_member, resume=False)
    # A live event arrives before the client has said where it is...
    await run(actions.create_thread)(author=member, group=legal, title="Live three", body="x")
    await socket.send_json_to({"type": "resume", "after": 0})
    titles = [f["data"]["title"] for f in await frames(socket)]
    assert titles == ["Missed one", "Missed two", "Live three"]
    await socket.disconnect()


async def test_a_client_that_never_resumes_gets_live_events_after_a_moment(member, legal):
    socket = await opened(member, resume=False)
    await run(actions.create_thread)(author=member, group=legal, title="Eventually", body="x")
    assert await frames(socket, timeout=0.5) == []  # held for the first resume
    [event] = await frames(socket, timeout=4)
    assert event["data"]["title"] == "Eventually"
    await socket.disconnect()


async def test_changes_made_outside_the_actions_reach_open_sockets(member, legal):
    socket = await opened(member)

    @run
    def admin_deletes_membership():
        member.memberships.get(group=legal).delete()

    await admin_deletes_membership()
    assert await closed_with(socket) == 4403


async def test_deactivated_member_is_disconnected(member):
    socket = await opened(member)

    @run
    def deactivate():
        member.is_active = False
        member.save()

    await deactivate()
    assert await closed_with(socket) == 4401


async def test_role_change_takes_effect_on_open_sockets(member, chair, legal):
    socket = await opened(member)
    membership = await run(lambda: member.memberships.get(group=legal))()
    await run(memberships.change_role)(actor=chair, membership=membership, role="moderator")
    await asyncio.sleep(0.3)
    await frames(socket)
    thread = await run(actions.create_thread)(author=chair, group=legal, title="Held", body="x")

    @run
    def pending_event():
        from forum import visibility

        audience = visibility.thread_audience(thread, status=PostStatus.PENDING)
        from forum.events import record

        record(
            stream_key=events.group_stream(legal.pk),
            type_="post.pending",
            payload={"id": 0},
            audience=audience,
        )

    await frames(socket)
    await pending_event()
    assert [f["type"] for f in await frames(socket)] == ["post.pending"]
    await socket.disconnect()


async def test_a_replay_never_brings_back_removed_or_earlier_text(
    member, moderator, make_member, legal
):
    thread = await run(actions.create_thread)(
        author=member, group=legal, title="Redacted", body="OPENING"
    )
    opening = await run(lambda: thread.posts.get())()
    removed = await run(actions.reply)(author=member, parent=opening, body="REMOVED-SECRET")
    edited = await run(actions.reply)(author=member, parent=opening, body="OLD-VERSION")
    await run(actions.edit_post)(editor=member, post=edited, body="NEW-VERSION")
    await run(actions.remove_post)(moderator=moderator, post=removed, reason="spam")
    newcomer = await run(make_member)(country="CN", groups=[legal])
    socket = await opened(newcomer, resume=False)
    await socket.send_json_to({"type": "resume", "after": 0})
    replay = json.dumps(await frames(socket))
    assert "REMOVED-SECRET" not in replay
    assert "OLD-VERSION" not in replay
    assert "NEW-VERSION" in replay and "OPENING" in replay
    await socket.disconnect()


def test_connecting_is_one_database_trip_of_few_queries(member, django_assert_max_num_queries):
    """Opening a socket resolves the member, checks the group and reads the log in one trip."""
    client = Client()
    client.force_login(member)
    key = client.cookies["sessionid"].value
    with django_assert_max_num_queries(6):
        opened = open_socket(key, "legal-policy")
    assert isinstance(opened, Opened)
    assert opened.member_id == member.pk
    assert opened.reader.country == "CN" and not opened.reader.moderator
    assert opened.profile["country"] == "CN"


def test_connecting_refuses_a_missing_or_signed_out_session(member):
    """A session that does not exist, or no cookie at all, is 4401 like Django's auth."""
    assert open_socket(None, "legal-policy") == 4401
    assert open_socket("no-such-session", "legal-policy") == 4401


async def test_the_first_resume_right_after_hello_reads_no_event_log(member, legal, monkeypatch):
    """Nothing new since hello: the resume answers from the hub without a database trip."""
    from forum.consumers import groups as consumer_module

    replays = []
    real_replay = consumer_module._replay

    async def counting_replay(*args):
        replays.append(args)
        return await real_replay(*args)

    monkeypatch.setattr(consumer_module, "_replay", counting_replay)
    communicator = await opened(member)
    await communicator.send_json_to({"type": "ping"})  # answered after the resume
    assert (await communicator.receive_json_from(timeout=5))["type"] == "pong"
    await database_sync_to_async(actions.create_thread)(
        author=member, group=legal, title="After hello", body="Live."
    )
    received = await frames(communicator)
    assert [frame["type"] for frame in received] == ["thread.created"]
    assert replays == []
    await communicator.disconnect()


async def test_a_moved_thread_leaves_the_old_groups_replay_and_live_stream(
    make_member, legal, promotion, staff
):
    """Issue 13, finding 1: after a move, a member of the old group only learns the
    thread's id from its socket, by replay or live, and later edits never reach them."""
    both = await run(make_member)(country="CN", groups=[legal, promotion], role="moderator")
    old_only = await run(make_member)(country="CN", groups=[legal])
    thread = await run(actions.create_thread)(
        author=both, group=legal, title="Secret title", body="first text"
    )
    opening = await run(lambda: thread.posts.get(number=1))()
    watching = await opened(old_only)
    await run(actions.move_thread)(moderator=both, thread=thread, group=promotion)
    await run(actions.edit_post)(editor=both, post=opening, body="edited after the move")
    live = await frames(watching)
    assert [(f["type"], f["data"]) for f in live] == [("thread.moved", {"id": thread.pk})]
    await watching.disconnect()

    replaying = await opened(old_only, resume=False)
    await replaying.send_json_to({"type": "resume", "after": 0})
    replayed = await frames(replaying)
    assert replayed and all(f["type"] == "thread.moved" for f in replayed)
    text = json.dumps(replayed)
    assert "Secret title" not in text and "first text" not in text and "edited" not in text
    await replaying.disconnect()

    # The new group's readers get the thread and the edit, and the old group's log
    # takes no new events about it.
    new_reader = await opened(both, slug="project-promotion", resume=False)
    await new_reader.send_json_to({"type": "resume", "after": 0})
    assert [f["type"] for f in await frames(new_reader)] == ["thread.updated", "post.edited"]
    await new_reader.disconnect()


async def test_sockets_past_the_members_cap_close_with_4429_whatever_their_kind(
    member, other_country_member, live_meeting, settings
):
    """Group, meeting and inbox sockets count together; closing one frees a place."""
    from tests.forum.test_consumers_inbox import inbox
    from tests.forum.test_consumers_meetings import connect as connect_room
    from tests.forum.test_consumers_meetings import opened as opened_room

    settings.FORUM_SOCKETS_PER_MEMBER = 3
    group_socket = await opened(member)
    room_socket = await opened_room(member, live_meeting)
    inbox_socket, _hello = await inbox(member)
    cookie = f"sessionid={await session_cookie(member)}".encode()
    another_inbox = WebsocketCommunicator(
        application, "/ws/inbox/", headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)]
    )
    assert (await another_inbox.connect(timeout=5))[0]
    for refused in (
        (await connect(member))[0],
        await connect_room(member, live_meeting.pk),
        another_inbox,
    ):
        assert await closed_with(refused) == 4429
    # Someone else's sockets are theirs to count.
    others = await opened(other_country_member)
    await inbox_socket.disconnect()
    again = await opened(member)
    await socket_pings(again)
    assert await closed_with((await connect(member))[0]) == 4429
    for socket in (group_socket, room_socket, again, others):
        await socket.disconnect()


async def socket_pings(communicator) -> None:
    await communicator.send_json_to({"type": "ping"})
    assert [f for f in await frames(communicator) if f["type"] == "pong"] == [{"type": "pong"}]
