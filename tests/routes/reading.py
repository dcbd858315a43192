"""Route rows of the reading and writing comforts (issue 21): mark all read, reactions,
bookmarks, drafts, preview, mention suggestions (in a thread and for a thread being
started), a post's live fragment, a group list's thread row, avatars."""

from __future__ import annotations

from io import BytesIO
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import actions as account_actions
from tests.access import MISSING_ID, World, secret
from tests.routes.tables import (
    BAD,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    Answer,
    Row,
)

MOVED_PERMANENTLY = Answer(301)
REACT = {"emoji": "thumbs_up"}

URLS: dict = {
    "group_mark_read": [
        Row("POST", "legal", LOGIN, "anonymous"),
        Row("POST", "legal", NOT_FOUND, "outsider"),
        Row("POST", "legal", REDIRECT, "members moderators"),
        Row("GET", "legal", NOT_ALLOWED, "reader"),
        Row("POST", "missing", NOT_FOUND, "signed-in"),
    ],
    "post_react": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "members moderators", shows="published"),
        # Only published posts take reactions: the author's pending one has no page.
        Row("GET", "pending", NOT_FOUND, "outsider foreigner reader author moderators"),
        Row("GET", "limited", NOT_FOUND, "outsider foreigner"),
        Row("GET", "limited", OK, "reader", shows="limited"),
        Row("POST", "published", REDIRECT, "members moderators"),
        Row("POST", "published", BAD, "reader", data={"emoji": "skull"}),
        Row("POST", "pending", NOT_FOUND, "foreigner reader"),
        Row("POST", "pending", BAD, "author moderator"),
        Row("POST", "removed", BAD, "reader moderator"),
        Row("POST", "limited", NOT_FOUND, "outsider foreigner"),
        Row("POST", "missing", NOT_FOUND, "signed-in"),
        Row("POST", "huge", NOT_FOUND, "reader"),
    ],
    "post_bookmark": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "members moderators"),
        Row("GET", "pending", NOT_FOUND, "reader author moderator"),
        Row("GET", "limited", NOT_FOUND, "foreigner"),
        Row("POST", "published", REDIRECT, "members moderators"),
        Row("POST", "published", BAD, "reader", data={"remind_at": "yesterday"}),
        Row("POST", "published", BAD, "reader", data={"remind_at": "2001-01-01T10:00"}),
        Row("POST", "limited", NOT_FOUND, "outsider foreigner"),
        Row("POST", "limited", REDIRECT, "reader"),
        Row("POST", "missing", NOT_FOUND, "signed-in"),
    ],
    "post_fragment": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "members moderators", shows="published"),
        Row("GET", "pending", NOT_FOUND, "outsider foreigner reader"),
        Row("GET", "pending", OK, "author moderators", shows="pending"),
        Row("GET", "rejected", NOT_FOUND, "foreigner reader"),
        # A removed post shows as a placeholder; its text only to moderators.
        Row("GET", "removed", OK, "members", hides="removed"),
        Row("GET", "removed", OK, "moderators", shows="removed"),
        Row("GET", "limited", NOT_FOUND, "outsider foreigner"),
        Row("GET", "limited", OK, "reader author moderator staff", shows="limited"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("POST", "published", NOT_ALLOWED, "reader"),
    ],
    "chat_react": [
        Row("GET", "live", LOGIN, "anonymous"),
        Row("GET", "live", NOT_FOUND, "outsider"),
        Row("GET", "live", OK, "members moderators"),
        Row("POST", "live", REDIRECT, "members moderators"),
        Row("POST", "live", BAD, "reader", data={"emoji": ""}),
        Row("POST", "live", NOT_FOUND, "reader", args={"message_id": MISSING_ID}),
        # The limited room is Zambia's; its one message was removed.
        Row("POST", "limited", NOT_FOUND, "outsider foreigner chair"),
        Row("POST", "limited", NOT_FOUND, "reader moderator"),
        Row("POST", "missing", NOT_FOUND, "reader"),
    ],
    "chat_fragment": [
        Row("GET", "live", LOGIN, "anonymous"),
        Row("GET", "live", NOT_FOUND, "outsider"),
        Row("GET", "live", OK, "members moderators"),
        Row("GET", "live", NOT_FOUND, "reader", args={"message_id": MISSING_ID}),
        # The limited room is Zambia's; its one message was removed.
        Row("GET", "limited", NOT_FOUND, "outsider foreigner chair"),
        Row("GET", "limited", NOT_FOUND, "reader moderator", hides="limited-chat"),
        Row("GET", "missing", NOT_FOUND, "reader"),
        Row("POST", "live", NOT_ALLOWED, "reader"),
    ],
    "bookmarks": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
        Row("POST", "-", NOT_ALLOWED, "reader"),
    ],
    "draft": [
        Row("GET", "reply-published", LOGIN, "anonymous"),
        Row("GET", "reply-published", NOT_FOUND, "outsider"),
        Row("GET", "reply-published", OK, "members moderators"),
        Row("POST", "reply-published", OK, "members moderators"),
        Row("POST", "reply-published", BAD, "reader", data={"body": "\x00"}),
        Row("GET", "reply-limited", NOT_FOUND, "outsider foreigner"),
        Row("GET", "reply-limited", OK, "reader"),
        Row("GET", "thread-legal", OK, "members moderators"),
        Row("GET", "thread-legal", NOT_FOUND, "outsider"),
        Row("GET", "chat-live", OK, "members moderators"),
        Row("GET", "chat-limited", NOT_FOUND, "foreigner chair"),
        Row("GET", "chat-limited", OK, "reader moderator"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "unknown-box", NOT_FOUND, "reader"),
        Row("GET", "huge", NOT_FOUND, "reader"),
    ],
    "preview": [
        Row("POST", "-", LOGIN, "anonymous"),
        Row("POST", "-", OK, "signed-in"),
        Row("GET", "-", NOT_ALLOWED, "reader"),
        Row("POST", "-", BAD, "reader", data={"body": "\x00"}),
        Row("POST", "-", BAD, "reader", data={"body": "x" * 50_001}),
        Row(
            "POST",
            "-",
            NOT_FOUND,
            "outsider foreigner",
            data={"body": "Hello", "thread": lambda w: w.threads["limited"].pk},
        ),
        Row(
            "POST",
            "-",
            OK,
            "reader",
            data={"body": "Hello", "thread": lambda w: w.threads["limited"].pk},
        ),
    ],
    "mention_candidates": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "members moderators"),
        Row("GET", "limited", NOT_FOUND, "outsider foreigner"),
        Row("GET", "limited", OK, "reader"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
    ],
    "new_thread_mention_candidates": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider"),
        Row("GET", "legal", OK, "members moderators"),
        Row("GET", "legal", OK, "reader", data={"q": "route", "audience": "countries"}),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("POST", "legal", NOT_ALLOWED, "reader"),
    ],
    "thread_row": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "members moderators", shows="published"),
        Row("GET", "pending", NOT_FOUND, "outsider foreigner reader"),
        Row("GET", "pending", OK, "author moderators", shows="pending"),
        Row("GET", "rejected", NOT_FOUND, "foreigner reader"),
        Row("GET", "rejected", OK, "author moderators", shows="rejected"),
        Row("GET", "limited", NOT_FOUND, "outsider foreigner"),
        Row("GET", "limited", OK, "reader author moderator staff", shows="limited"),
        Row("GET", "moved", NOT_FOUND, "outsider"),
        Row("GET", "moved", OK, "members", shows="moved"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "huge", NOT_FOUND, "reader"),
        Row("POST", "published", NOT_ALLOWED, "reader"),
    ],
    "favicon": [
        Row("GET", "-", MOVED_PERMANENTLY, "everyone"),
    ],
    "avatar_edit": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
        Row("POST", "-", BAD, "reader"),  # no picture chosen: the form says so
        Row("POST", "-", REDIRECT, "reader", data={"remove": "1"}),
    ],
    "avatar_image": [  # state: whose picture (the reader has uploaded one)
        Row("GET", "reader", LOGIN, "anonymous"),
        Row("GET", "reader", NOT_FOUND, "outsider"),
        Row("GET", "reader", OK, "members moderators"),
        Row("GET", "stale", NOT_FOUND, "members"),
        Row("GET", "author", NOT_FOUND, "reader"),  # initials only: no picture
        Row("GET", "missing", NOT_FOUND, "signed-in"),
    ],
}

KINDS = {
    "post": "post_react post_bookmark post_fragment",
    "meeting": "chat_react chat_fragment",
    "thread": "mention_candidates thread_row",
    "draftbox": "draft",
    "avatar": "avatar_image",
}

POST_DATA = {
    "group_mark_read": {},
    "post_react": REACT,
    "post_bookmark": {"note": "Read again"},
    "chat_react": REACT,
    "draft": {"body": f"Draft {secret('draft')}"},
    "preview": {"body": "**Hello** @nobody"},
    "avatar_edit": {},
}


def _picture() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def build(world: World) -> None:
    """Draft boxes by state, and a picture for the reader."""
    reader = account_actions.set_avatar(member=world.people["reader"], upload=_picture())
    world.objects["avatar"] = {
        "reader": SimpleNamespace(handle=reader.handle, version=reader.avatar_version),
        "stale": SimpleNamespace(handle=reader.handle, version=reader.avatar_version + 1),
        "author": SimpleNamespace(handle=world.people["author"].handle, version=1),
        "missing": SimpleNamespace(handle="nobody-here", version=1),
    }
    world.objects["draftbox"] = {
        "reply-published": SimpleNamespace(kind="reply", ref=str(world.threads["published"].pk)),
        "reply-limited": SimpleNamespace(kind="reply", ref=str(world.threads["limited"].pk)),
        "thread-legal": SimpleNamespace(kind="thread", ref=world.legal.slug),
        "chat-live": SimpleNamespace(kind="chat", ref=str(world.meetings["live"].pk)),
        "chat-limited": SimpleNamespace(kind="chat", ref=str(world.meetings["limited"].pk)),
        "missing": SimpleNamespace(kind="reply", ref=str(MISSING_ID)),
        "unknown-box": SimpleNamespace(kind="mailbox", ref="1"),
        "huge": SimpleNamespace(kind="reply", ref="9" * 25),
    }
