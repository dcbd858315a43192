"""iCalendar (RFC 5545) for meetings: one event per meeting, and members' feeds.

Small on purpose: only what a calendar needs to show a meeting. Lines end in
CRLF and are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from forum.models import Meeting, MeetingState

PRODID = "-//Working-group forum//Meetings//EN"
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newlines (RFC 5545 3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for raw, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        value = value.replace(raw, escaped)
    return value


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets joined by CRLF + space."""
    pieces, current, size, limit = [], [], 0, LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            pieces.append("".join(current))
            # A continuation line starts with a space, which counts toward its 75.
            current, size, limit = [], 0, LINE_OCTETS - 1
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.UTC).strftime("%Y%m%dT%H%M%SZ")


def event_lines(meeting: Meeting, *, url: str, host: str, now: datetime) -> list[str]:
    """Return the unfolded lines of one VEVENT."""
    description = meeting.agenda
    if meeting.link:
        description = f"{description}\n\n{meeting.link}".strip()
    location = meeting.place or meeting.link
    lines = [
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.pk}@{host}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(meeting.starts_at)}",
        f"DTEND:{utc_stamp(meeting.ends_at)}",
        f"SUMMARY:{escape_text(meeting.title)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines += [
        f"URL:{url}",
        "STATUS:CONFIRMED",
        # Chairs edit times and titles; a growing number tells calendars to update.
        f"SEQUENCE:{1 if meeting.state == MeetingState.ENDED else 0}",
        "END:VEVENT",
    ]
    return lines


def calendar(
    meetings: Iterable[Meeting], *, base_url: str, host: str, name: str | None = None
) -> str:
    """Return a VCALENDAR holding one VEVENT per meeting, CRLF line endings."""
    now = timezone.now()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append("METHOD:PUBLISH")
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for meeting in meetings:
        lines += event_lines(meeting, url=base_url + meeting.get_absolute_url(), host=host, now=now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
