"""What the API reads and writes, as typed schemas (they make the OpenAPI document).

Input patterns say in the schema what the forum's limits refuse (forum/limits.py),
so that a request the schema allows is one the forum accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from django_countries import countries as all_countries
from ninja import Schema
from pydantic import Field, PlainSerializer, WithJsonSchema

from forum import limits
from forum.models import RejectReason

# ISO 8601 in UTC with a "Z", whatever zone the value carries.
UTCDateTime = Annotated[
    datetime,
    PlainSerializer(
        lambda value: value.astimezone(UTC).isoformat().replace("+00:00", "Z"), return_type=str
    ),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

COUNTRY_CODES = tuple(code for code, _name in all_countries)
CountryCode = Literal[COUNTRY_CODES]  # type: ignore[valid-type]

# No C0 control character (tab and line breaks aside in bodies) and no DEL.
_NO_CONTROL = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_NO_CONTROL_LINE = r"[^\x00-\x1f\x7f]"
# A visible character: not whitespace, and no C0 or C1 control (U+0085 is whitespace
# to Python's str.split but not to every regex engine).
_VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f]"
# At least one visible character.
BODY_PATTERN = rf"^{_NO_CONTROL}*{_VISIBLE}{_NO_CONTROL}*$"
# Words joined by single spaces: what forum.limits.check_title keeps unchanged.
TITLE_PATTERN = rf"^{_VISIBLE}+(?: {_VISIBLE}+)*$"
NOTE_PATTERN = rf"^{_NO_CONTROL}*$"
TOPIC_PATTERN = rf"^{_NO_CONTROL_LINE}+$"
NOTE_REQUIRED_PATTERN = BODY_PATTERN

Body = Annotated[
    str,
    Field(
        min_length=limits.BODY_MIN,
        max_length=limits.BODY_MAX,
        pattern=BODY_PATTERN,
        description="Markdown source.",
    ),
]
Title = Annotated[
    str, Field(min_length=limits.TITLE_MIN, max_length=limits.TITLE_MAX, pattern=TITLE_PATTERN)
]


# --- output -------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    name: str
    handle: str
    country: str


class GroupOut(Schema):
    slug: str
    name: str
    description: str
    role: str | None = Field(description="Your role in the group; null for staff outside it.")
    moderation_policy: str
    url: str


class ThreadOut(Schema):
    id: int
    group: str = Field(description="The working group's slug.")
    title: str
    author: MemberOut
    audience: Literal["group", "countries", "domestic"]
    countries: list[str] = Field(description="The audience's countries; empty for the group.")
    tags: list[str]
    pinned: bool
    locked: bool
    reply_count: int
    created_at: UTCDateTime
    last_activity_at: UTCDateTime
    url: str


class PostOut(Schema):
    id: int
    thread: int
    parent: int | None
    number: int
    depth: int
    status: Literal["published", "pending", "rejected", "removed"]
    author: MemberOut
    body_source: str = Field(description="Markdown source; empty for a removed post.")
    body_html: str = Field(description="The stored sanitized HTML; empty for a removed post.")
    created_at: UTCDateTime
    edited_at: UTCDateTime | None
    replies: list[PostOut] = Field(
        default_factory=list,
        description="In the tree view: the replies on the same page, nested.",
    )


class ThreadPage(Schema):
    thread: ThreadOut
    view: Literal["tree", "flat"]
    posts: list[PostOut]
    next_cursor: str | None


class MeetingOut(Schema):
    id: int
    group: str
    title: str
    agenda_source: str
    agenda_html: str
    starts_at: UTCDateTime
    ends_at: UTCDateTime
    time_zone: str
    format: str
    place: str
    link: str
    audience: str
    state: Literal["scheduled", "live", "ended"]
    minutes_thread: int | None = Field(description="The thread holding the minutes, if any.")
    url: str


class ChatMessageOut(Schema):
    id: int
    seq: int
    author: MemberOut
    created_at: UTCDateTime
    removed: bool
    body_source: str
    body_html: str


class NotificationOut(Schema):
    id: int
    kind: str
    created_at: UTCDateTime
    read: bool
    available: bool = Field(description="Whether what it is about is still there for you.")
    actor_name: str | None
    thread_title: str | None
    excerpt: str | None
    url: str | None


class ReviewOut(Schema):
    id: int
    kind: Literal["post", "edit"]
    group: str
    submitted_at: UTCDateTime
    approvals: int
    approvals_required: int
    post: PostOut
    thread: ThreadOut
    proposed_title: str = Field(description="For an edit: the proposed thread title, if any.")
    proposed_body_source: str = Field(description="For an edit: the proposed text.")
    proposed_body_html: str


class EditOut(Schema):
    post: PostOut
    review_pending: bool = Field(
        description="True when the edit waits for a moderator; the post keeps its text until then."
    )


class DecisionOut(Schema):
    review: int
    state: Literal["open", "approved", "rejected", "withdrawn"]
    approvals: int
    approvals_required: int


class SearchHitOut(Schema):
    kind: Literal["thread", "post", "chat"] = Field(
        description="A thread title, a post, or a meeting's chat message."
    )
    url: str
    title: str = Field(description="The thread's title (the meeting's, for chat).")
    group: str = Field(description="The working group's slug.")
    author: MemberOut
    created_at: UTCDateTime
    snippet_html: str = Field(
        description="Up to three fragments of the plain text around the matches, "
        "HTML-escaped, the matches in <mark>."
    )


class SearchResults(Schema):
    items: list[SearchHitOut]
    next_cursor: str | None
    did_you_mean: str | None = Field(
        description="When the first page is empty: a corrected query line (`q`) that "
        "finds something you may read, or null."
    )


class GroupList(Schema):
    items: list[GroupOut]
    next_cursor: str | None


class ThreadList(Schema):
    items: list[ThreadOut]
    next_cursor: str | None


class MeetingList(Schema):
    items: list[MeetingOut]
    next_cursor: str | None


class Transcript(Schema):
    meeting: MeetingOut
    items: list[ChatMessageOut]
    next_cursor: str | None


class NotificationList(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class ReviewList(Schema):
    items: list[ReviewOut]
    next_cursor: str | None


# --- input --------------------------------------------------------------------------


class ThreadIn(Schema):
    title: Title
    body: Body
    audience: (
        Literal["group", "domestic"]
        | Annotated[list[CountryCode], Field(min_length=1, max_length=60)]
    ) = Field(
        default="group",
        description='"group", "domestic", or the list of countries it is addressed to.',
    )
    topics: list[Annotated[str, Field(min_length=1, max_length=40, pattern=TOPIC_PATTERN)]] = Field(
        default_factory=list, max_length=limits.TAGS_MAX, description="The group's topic tags."
    )
    country_tags: list[CountryCode] = Field(default_factory=list, max_length=limits.TAGS_MAX)


class ReplyIn(Schema):
    body: Body


class EditIn(Schema):
    body: Body
    title: Title | None = Field(default=None, description="Only for a thread's opening post.")


class EditApproveIn(Schema):
    body: Body
    title: Title | None = None


_REASONS = tuple(r for r in RejectReason.values if r != RejectReason.OTHER)


class RejectIn(Schema):
    reason: Literal[_REASONS]  # type: ignore[valid-type]
    note: Annotated[str, Field(max_length=limits.REASON_MAX, pattern=NOTE_PATTERN)] = ""


class RejectOtherIn(Schema):
    reason: Literal["other"]
    note: Annotated[
        str, Field(min_length=1, max_length=limits.REASON_MAX, pattern=NOTE_REQUIRED_PATTERN)
    ]
