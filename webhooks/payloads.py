"""The thin JSON of each event: ids, title, author name and country, URL, `seq`.

The standard format sends it as is; the WeCom and Teams formats are built from it.
An excerpt is added only for endpoints whose chair opted in.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.utils.html import strip_tags

from forum.models import Meeting, Post, Thread, WorkingGroup

EXCERPT_CHARS = 280


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _time(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _group(group: WorkingGroup) -> dict:
    return {"slug": group.slug, "name": group.name}


def _author(member) -> dict:
    return {"name": member.display_name, "country": str(member.country or "")}


def excerpt(html: str) -> str:
    """Return the first words of a rendered (sanitized) text, as plain text."""
    text = " ".join(strip_tags(html).split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def envelope(type_: str, when: datetime, data: dict) -> dict:
    return {"type": type_, "timestamp": _time(when), "data": data}


def post_data(thread: Thread, post: Post, seq: int | None) -> dict:
    """The data of `thread.created` (opening post) and `post.published` (a reply)."""
    return {
        "group": _group(thread.group),
        "thread": {
            "id": thread.pk,
            "title": thread.title,
            "url": _absolute(thread.get_absolute_url()),
        },
        "post": {
            "id": post.pk,
            "number": post.number,
            "url": _absolute(post.get_absolute_url()),
        },
        "author": _author(post.author),
        "seq": seq,
    }


def meeting_data(meeting: Meeting) -> dict:
    return {
        "group": _group(meeting.group),
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "url": _absolute(meeting.get_absolute_url()),
            "starts_at": _time(meeting.starts_at),
            "ends_at": _time(meeting.ends_at),
            "format": meeting.format,
        },
    }


def minutes_data(meeting: Meeting, thread: Thread) -> dict:
    return {
        **meeting_data(meeting),
        "thread": {
            "id": thread.pk,
            "title": thread.title,
            "url": _absolute(thread.get_absolute_url()),
        },
    }


def test_data(group: WorkingGroup) -> dict:
    return {"group": _group(group), "test": True}
