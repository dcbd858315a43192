"""The world the route coverage test asks about: one of each role and each object state.

`build_world()` makes it through the actions, the way the site does. Every object
that some role must not see carries a marker (`secret(state)`) in its title or
text, so a row can check that a page or a socket replay does not show it.

Roles (each relative to the legal-policy group, where the objects live):

    anonymous   not signed in
    outsider    signed in, a member of project-promotion only
    foreigner   a member of legal-policy from a country outside the object's audience
    reader      a member of legal-policy inside the audience
    author      the author of the threads and posts (also in project-promotion)
    moderator   a moderator of legal-policy, inside the audience, with MFA
    chair       a chair of legal-policy, with MFA
    staff       staff, in no group, with MFA
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from accounts import actions as account_actions
from accounts import invitations, unsubscribe
from accounts.models import Invitation, Member
from forum.actions import meetings as meeting_actions
from forum.actions import moderation
from forum.actions import threads as thread_actions
from forum.models import (
    ChatMessage,
    Meeting,
    MeetingState,
    ModerationPolicy,
    Post,
    PostStatus,
    Report,
    Review,
    Role,
    Thread,
    WorkingGroup,
)
from tests.conftest import create_member, working_group

ROLES = ("anonymous", "outsider", "foreigner", "reader", "author", "moderator", "chair", "staff")
# Shorthands a table row may use for several roles at once.
ROLE_SETS = {
    "members": ("foreigner", "reader", "author"),
    "moderators": ("moderator", "chair", "staff"),
    "signed-in": ROLES[1:],
    "everyone": ROLES,
}
MISSING_ID = 999_999_999
HUGE_ID = "9" * 25  # beyond every database's integer range


def secret(state: str) -> str:
    """Return the marker that the object in `state` carries and its non-readers never see."""
    return f"Zq7-{state}-marker"


def expand_roles(roles: str) -> list[str]:
    """Return the roles named in `roles` (names or shorthands), in the order of ROLES."""
    named: set[str] = set()
    for word in roles.split():
        if word in ROLE_SETS:
            named.update(ROLE_SETS[word])
        elif word in ROLES:
            named.add(word)
        else:
            raise ValueError(f"unknown role {word!r}")
    return [role for role in ROLES if role in named]


@dataclass
class World:
    legal: WorkingGroup
    promotion: WorkingGroup
    people: dict[str, Member]
    threads: dict[str, Thread] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    meetings: dict[str, Meeting] = field(default_factory=dict)
    chat: dict[str, ChatMessage] = field(default_factory=dict)
    reviews: dict[str, Review] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    invitations: dict[str, Invitation] = field(default_factory=dict)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # role -> session key
    # Objects of the other apps (tests/routes/<app>.py): kind -> state -> object.
    objects: dict[str, dict[str, object]] = field(default_factory=dict)
    # The answer for a missing object, per (role, method, URL, data): it never changes.
    missing_answers: dict[tuple, tuple[int, str]] = field(default_factory=dict)

    def kwargs(self, kind: str, state: str, names: list[str], extra: dict) -> dict:
        """Return the URL arguments that point a route of `kind` at the object in `state`.

        `missing` names an object that does not exist; `huge` an id past the integer range.
        """
        found: dict[str, object] = {}
        for name in names:
            if name in extra:
                found[name] = extra[name]
            elif kind in self.objects:
                found[name] = self._argument(self.objects[kind], state, name)
            elif kind == "group":
                found[name] = {
                    "legal": self.legal.slug,
                    "moved": self.promotion.slug,  # the moved thread's old group
                    "missing": "no-such-group",
                }[state]
            elif name == "message_id":
                found[name] = self._id(self.chat, "missing" if state == "huge" else state)
            elif name == "export":
                found[name] = "md"
            elif kind == "thread" and name == "slug":
                found[name] = "any-title"
            elif name == "token":
                found[name] = "x" * 40 if state == "missing" else self.tokens[kind][state]
            elif name == "handle":
                found[name] = "nobody-here" if state == "missing" else self.people[state].handle
            elif name == "pk":
                objects = {
                    "thread": self.threads,
                    "post": self.posts,
                    "meeting": self.meetings,
                    "review": self.reviews,
                    "report": self.reports,
                    "invitation": self.invitations,
                }[kind]
                found[name] = self._id(objects, state)
            else:
                raise KeyError(f"no argument {name!r} for a {kind} route")
        return found

    @classmethod
    def _argument(cls, objects: dict, state: str, name: str) -> object:
        """Read URL argument `name` off an app's object in `state` (tests/routes/)."""
        if state in objects:
            value = getattr(objects[state], name)
            return value() if callable(value) else value
        if name == "pk":
            return cls._id(objects, state)
        raise KeyError(f"no object in state {state!r} to give {name!r}")

    @staticmethod
    def _id(objects: dict, state: str) -> object:
        if state == "huge":
            return HUGE_ID
        if state == "missing":
            return MISSING_ID
        return objects[state].pk  # a state this kind lacks is a mistake in the table


def build_world() -> World:
    """Make one of each role and of each object state, through the actions.

    Then each app's route module (tests/routes/) adds its own objects to the world.
    """
    from tests.routes import modules

    with override_settings(FORUM_POSTS_PER_MINUTE=10_000):
        world = _build()
        for module in modules():
            if hasattr(module, "build"):
                module.build(world)
        return world


def _build() -> World:
    legal = working_group("legal-policy", ModerationPolicy.CROSS_BORDER)
    promotion = working_group("project-promotion")
    number = itertools.count(1)

    def person(name: str, country: str, groups=(), **fields) -> Member:
        return create_member(
            next(number), country=country, groups=groups, handle=f"route-{name}", **fields
        )

    people = {
        "outsider": person("outsider", "KE", [promotion]),
        "foreigner": person("foreigner", "NG", [legal]),
        "reader": person("reader", "ZM", [legal]),
        "author": person("author", "CN", [legal, promotion]),
        "moderator": person("moderator", "ZM", [legal], role=Role.MODERATOR, mfa=True),
        "chair": person("chair", "CN", [legal], role=Role.CHAIR, mfa=True),
        "staff": person("staff", "CN", staff=True, mfa=True),
    }
    world = World(legal=legal, promotion=promotion, people=people)
    author, moderator, chair = people["author"], people["moderator"], people["chair"]

    def review_of(post: Post) -> Review:
        return Review.objects.get(post=post, state=Review.State.OPEN)

    def approve(post: Post) -> None:
        moderation.approve(moderator=moderator, review=review_of(post))

    def start(state: str, **fields) -> Thread:
        fields.setdefault("group", legal)
        return thread_actions.create_thread(
            author=author,
            title=f"Thread {secret(state)}",
            body=f"Opening {secret(state)}",
            **fields,
        )

    # Threads, each in one state; an author's cross-border thread waits for review first.
    for state in ("published", "pending", "rejected", "limited", "locked"):
        limited = {"audience": "countries", "countries": ["ZM"]} if state == "limited" else {}
        thread = start(state, **limited)
        opening = thread.posts.get()
        assert opening.status == PostStatus.PENDING, state
        if state == "rejected":
            moderation.reject(moderator=moderator, review=review_of(opening), reason="tone")
        elif state != "pending":
            approve(opening)
        if state == "locked":
            thread_actions.set_locked(moderator=moderator, thread=thread, locked=True)
        opening.refresh_from_db()
        world.threads[state] = thread
        world.posts[state if state in ("limited", "locked") else f"opening-{state}"] = opening

    # Moved: started in project-promotion, moved to legal-policy, edited after the move.
    moved = start("moved", group=promotion)
    thread_actions.move_thread(moderator=people["staff"], thread=moved, group=legal)
    moved.refresh_from_db()
    moved_opening = moved.posts.get()
    thread_actions.edit_post(
        editor=moderator, post=moved_opening, body=f"Edited after the move {secret('moved-edit')}"
    )
    world.threads["moved"] = moved
    world.posts["moved"] = moved_opening

    # Replies in each moderation state, in the published thread.
    parent = world.posts["opening-published"]
    for state in ("published", "pending", "rejected", "removed"):
        post = thread_actions.reply(author=author, parent=parent, body=f"Reply {secret(state)}")
        assert post.status == PostStatus.PENDING, state
        if state == "rejected":
            moderation.reject(moderator=moderator, review=review_of(post), reason="tone")
        elif state != "pending":
            approve(post)
        if state == "removed":
            post.refresh_from_db()
            thread_actions.remove_post(moderator=chair, post=post, reason="Off topic.")
        post.refresh_from_db()
        assert post.status == state, (state, post.status)
        world.posts[state] = post

    world.reviews["pending"] = review_of(world.posts["pending"])
    world.reviews["decided"] = Review.objects.get(post=world.posts["rejected"])
    world.reports["open"] = moderation.report_post(
        reporter=people["reader"], post=world.posts["published"], reason="spam"
    )

    # Meetings of legal-policy in each state, organized by the chair.
    def schedule(state: str, organizer: Member = chair, **fields) -> Meeting:
        begins = timezone.now() + timedelta(hours=1)
        return meeting_actions.schedule_meeting(
            organizer=organizer,
            group=legal,
            title=f"Meeting {secret(state)}",
            starts_at=begins,
            ends_at=begins + timedelta(hours=2),
            link="https://meet.example.org/route",
            **fields,
        )

    world.meetings["scheduled"] = schedule("scheduled")
    live = meeting_actions.start_meeting(member=chair, meeting=schedule("live"))
    world.meetings["live"] = live
    message, _created = meeting_actions.send_chat(
        author=people["reader"], meeting=live, client_id="route-1", body="Hello all"
    )
    world.chat["live"] = message
    ended = meeting_actions.start_meeting(member=chair, meeting=schedule("ended"))
    world.meetings["ended"] = meeting_actions.end_meeting(member=chair, meeting=ended)
    # Limited: Zambia only, run by the Zambian moderator; the chair (China) is outside it.
    limited = meeting_actions.start_meeting(
        member=moderator, meeting=schedule("limited-meeting", moderator, audience="domestic")
    )
    world.meetings["limited"] = limited
    said, _created = meeting_actions.send_chat(
        author=people["reader"], meeting=limited, client_id="route-2", body="Zambia only"
    )
    meeting_actions.remove_chat_message(
        member=moderator, message=said, reason=f"Removed {secret('limited-chat')}"
    )
    world.chat["limited"] = said

    # Tokens: an open invitation by the chair, the reader's calendar feed and unsubscribe link.
    invitation = account_actions.invite(
        inviter=chair,
        email="guest@example.org",
        organization_name="Guest organization",
        country="GH",
        groups=[legal],
        role=Role.MEMBER,
        base_url="http://testserver/",
    )
    world.invitations["open"] = invitation
    reader = people["reader"]
    world.tokens = {
        "invitation": {"open": invitations.make_token(invitation)},
        "feed": {"valid": meeting_actions.calendar_feed(member=reader).token},
        "unsubscribe": {"valid": unsubscribe.make_token(reader)},
    }
    assert Meeting.objects.filter(state=MeetingState.LIVE).count() == 2

    # One real session per role, signed in the way the site signs in.
    for role, member in people.items():
        client = Client()
        client.force_login(member)
        world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return world


_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*"')


def normalized(body: bytes, url: str) -> str:
    """Return a page's text without what differs between two renders of the same page."""
    return _CSRF.sub(r'\1"', body.decode()).replace(url, "<url>")
