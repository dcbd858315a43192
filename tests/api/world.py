"""A small forum for fuzzing the API: groups, threads in each moderation state,
a meeting with its chat, notifications, and one token per scope set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from api.actions.tokens import create_token
from forum.actions import meetings as meeting_actions
from forum.actions import threads as thread_actions
from forum.models import ModerationPolicy, Review, Role
from tests.conftest import create_member, working_group


@dataclass
class ApiWorld:
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def build_api_world() -> ApiWorld:
    with override_settings(FORUM_POSTS_PER_MINUTE=10_000):
        return _build()


def _build() -> ApiWorld:
    legal = working_group("legal-policy", ModerationPolicy.CROSS_BORDER)
    promotion = working_group("project-promotion")
    author = create_member(1, country="CN", groups=[legal, promotion], handle="api-author")
    reader = create_member(2, country="ZM", groups=[legal], handle="api-reader")
    moderator = create_member(
        3, country="ZM", groups=[legal], role=Role.MODERATOR, mfa=True, handle="api-moderator"
    )
    chair = create_member(
        4, country="KE", groups=[legal, promotion], role=Role.CHAIR, mfa=True, handle="api-chair"
    )
    world = ApiWorld()

    published = thread_actions.create_thread(
        author=chair, group=legal, title="Mining code changes", body="What changed? @api-reader"
    )
    opening = published.posts.get()
    for n in range(5):
        thread_actions.reply(author=chair, parent=opening, body=f"Reply {n}")
    pending = thread_actions.create_thread(author=author, group=legal, title="Pending", body="B")
    thread_actions.reply(author=author, parent=opening, body="A reply waiting for review")
    thread_actions.create_thread(
        author=reader, group=legal, title="Zambia only", body="Domestic", audience="domestic"
    )
    promoted = thread_actions.create_thread(
        author=chair, group=promotion, title="A project", body="Docking", country_tags=["ZM"]
    )
    begins = timezone.now() + timedelta(hours=1)
    meeting = meeting_actions.schedule_meeting(
        organizer=chair,
        group=legal,
        title="Annual forum",
        starts_at=begins,
        ends_at=begins + timedelta(hours=2),
        link="https://meet.example.org/annual",
    )
    meeting = meeting_actions.start_meeting(member=chair, meeting=meeting)
    meeting_actions.send_chat(author=reader, meeting=meeting, client_id="c1", body="Hello")

    world.ids = {
        "thread": published.pk,
        "post": opening.pk,
        "pending_thread": pending.pk,
        "other_group_thread": promoted.pk,
        "meeting": meeting.pk,
        "reviews": Review.objects.filter(state=Review.State.OPEN).count(),
    }
    for name, member, scopes in (
        ("read", reader, ["read"]),
        ("write", author, ["read", "write"]),
        ("moderate", moderator, ["read", "write", "moderate"]),
    ):
        world.tokens[name] = create_token(member=member, name=name, scopes=scopes)[1]
    return world
