"""The visibility matrix: who sees a post in each moderation state, on every path.

Roles: the author, a member of the author's country, a member of another country,
a moderator, a chair, a member of another group only, and an anonymous visitor.
Paths: the thread page, the group's thread list, reply counts, mentions, and the
event log that feeds the sockets (through the same `may_receive` the hub uses).
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from forum import visibility
from forum.actions import moderation
from forum.actions import threads as actions
from forum.models import Event, Mention, PostStatus, Review, Role
from tests.conftest import client_for

SECRET = "Xq7-confidential-draft"
STATES = ["pending", "approved", "rejected", "removed"]
SEES_TEXT = {
    "pending": {"author", "moderator", "chair"},
    "approved": {"author", "same_country", "other_country", "moderator", "chair"},
    "rejected": {"author", "moderator", "chair"},
    "removed": {"moderator", "chair"},  # the text stays on record for moderators
}


@pytest.fixture
def people(cross_border_review, make_member, promotion, moderator, chair):
    group = cross_border_review
    return {
        "author": make_member(country="CN", groups=[group], handle="author-cn"),
        "same_country": make_member(country="CN", groups=[group], handle="same-cn"),
        "other_country": make_member(country="ZM", groups=[group], handle="other-zm"),
        "moderator": moderator,
        "chair": chair,
        "non_member": make_member(country="CN", groups=[promotion]),
        "anonymous": None,
    }


def bring_to(state: str, post, people) -> None:
    review = Review.objects.get(post=post, state=Review.State.OPEN)
    if state == "approved" or state == "removed":
        moderation.approve(moderator=people["moderator"], review=review)
    if state == "removed":
        post.refresh_from_db()
        actions.remove_post(moderator=people["chair"], post=post, reason="Gone.")
    if state == "rejected":
        moderation.reject(moderator=people["moderator"], review=review, reason="tone")
    post.refresh_from_db()


@pytest.mark.parametrize("state", STATES)
def test_a_reply_in_each_state_reaches_exactly_its_readers(state, people, start_thread):
    thread = start_thread(people["moderator"], title="Open discussion")
    body = f"{SECRET} @same-cn"
    post = actions.reply(author=people["author"], parent=thread.posts.get(), body=body)
    assert post.status == PostStatus.PENDING
    bring_to(state, post, people)

    thread.refresh_from_db()
    assert thread.reply_count == (1 if state == "approved" else 0)
    mentioned = Mention.objects.filter(post=post, member=people["same_country"]).exists()
    assert mentioned == (state in ("approved", "removed"))

    carrying = [e for e in Event.objects.all() if SECRET in str(e.payload)]
    for role, person in people.items():
        response = client_for(person).get(thread.get_absolute_url())
        sees_page = response.status_code == 200 and SECRET in response.content.decode()
        assert sees_page == (role in SEES_TEXT[state]), (role, "thread page")
        if person is None or role == "non_member":
            continue
        reader = visibility.reader_for(person, thread.group)
        sees_socket = any(visibility.may_receive(e.audience, reader) for e in carrying)
        # Removed text leaves the event log entirely: no socket replays it.
        expected = role in SEES_TEXT[state] and state != "removed"
        assert sees_socket == expected, (role, "socket")
        listing = client_for(person).get(f"/g/{thread.group.slug}/").content.decode()
        replies = "1 reply" if state == "approved" else "0 replies"
        assert replies in listing, (role, "count")


@pytest.mark.parametrize("state", STATES)
def test_a_thread_in_each_state_is_listed_only_for_its_readers(state, people, start_thread):
    thread = start_thread(people["author"], title=f"Title {SECRET}", body=f"Body {SECRET}")
    opening = thread.posts.get()
    assert opening.status == PostStatus.PENDING
    bring_to(state, opening, people)
    # A thread whose opening post was removed stays listed (its replies still count).
    listed_for = SEES_TEXT[state] | (
        {"author", "same_country", "other_country"} if state == "removed" else set()
    )
    for role, person in people.items():
        response = client_for(person).get(f"/g/{thread.group.slug}/")
        listed = response.status_code == 200 and SECRET in response.content.decode()
        assert listed == (role in listed_for), (role, "list")
        page = client_for(person).get(thread.get_absolute_url())
        assert (page.status_code == 200) == (role in listed_for), (role, "thread status")


def test_a_moderator_outside_the_threads_audience_never_sees_its_pending_posts(
    cross_border_review, member, moderator, start_thread
):
    thread = start_thread(member, audience="countries", countries=["ZM"])  # CN + ZM, not KE
    assert thread.posts.get().status == PostStatus.PENDING
    assert not visibility.review_queue(moderator).exists()
    page = client_for(moderator).get(f"/g/{thread.group.slug}/mod/")
    assert thread.title not in page.content.decode()


def test_the_review_queue_shows_pending_posts_to_moderators_of_the_audience(
    cross_border_review, member, moderator, make_member, start_thread
):
    kenyan_member = make_member(country="KE", groups=[cross_border_review], role=Role.MEMBER)
    thread = start_thread(member, title=f"Pending {SECRET}", audience="countries", countries=["KE"])
    assert visibility.review_queue(moderator).get().post == thread.posts.get()
    assert not visibility.review_queue(kenyan_member).exists()


# --- real sockets ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sockets_carry_pending_posts_to_moderators_and_approvals_to_everyone(
    legal, promotion, make_member, start_thread
):
    from forum.models import ModerationPolicy
    from tests.forum.test_consumers_groups import frames, opened

    legal.moderation_policy = ModerationPolicy.CROSS_BORDER
    legal.save()
    author = make_member(country="CN", groups=[legal])
    reader = make_member(country="ZM", groups=[legal])
    moderator = make_member(country="KE", groups=[legal], role=Role.MODERATOR, mfa=True)
    thread = start_thread(moderator, title="Live review")

    async def scenario():
        mod_socket = await opened(moderator)
        reader_socket = await opened(reader)
        await frames(mod_socket)
        await frames(reader_socket)
        post = await database_sync_to_async(actions.reply)(
            author=author, parent=await database_sync_to_async(thread.posts.get)(), body=SECRET
        )
        to_moderator = await frames(mod_socket)
        assert [f["type"] for f in to_moderator] == ["post.pending"]
        assert SECRET in to_moderator[0]["data"]["html"]
        assert await frames(reader_socket) == []
        review = await database_sync_to_async(Review.objects.get)(post=post)
        await database_sync_to_async(moderation.approve)(moderator=moderator, review=review)
        to_reader = await frames(reader_socket)
        assert [f["type"] for f in to_reader] == ["post.approved"]
        assert SECRET in to_reader[0]["data"]["html"]
        for socket in (mod_socket, reader_socket):
            await socket.disconnect()

    asyncio.run(scenario())
