"""What each format sends, and how each receiver says it took the message.

standard: Standard Webhooks, the thin JSON payload signed with the endpoint's
  secret(s); any 2xx is success.
wecom:    a group bot's markdown message (at most 4,096 bytes); the bot answers
  HTTP 200 even when it fails: `errcode` 0 is success, 45009 is throttled.
teams:    an Adaptive Card for a Teams Workflows webhook, which answers 202.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from webhooks.models import EventType, Format

WECOM_MAX_BYTES = 4096
WECOM_THROTTLED = 45009
RETRY_AFTER_MAX_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Request:
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Verdict:
    """How an answer counts: "success", "throttled", "gone" or "failure"."""

    outcome: str
    retry_after: float | None = None
    detail: str = ""


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(secrets: list[str], message_id: str, when: datetime, body: bytes) -> str:
    """Return the `webhook-signature` header: one `v1,` signature per active secret."""
    text = body.decode()
    return " ".join(Webhook(secret).sign(message_id, when, text) for secret in secrets)


def build(
    format_: str, payload: dict, *, message_id: str, secrets: list[str], now: datetime
) -> Request:
    """Return the request body and headers of one attempt at sending `payload`."""
    if format_ == Format.WECOM:
        body = _json({"msgtype": "markdown", "markdown": {"content": wecom_markdown(payload)}})
        return Request(body, {"Content-Type": "application/json"})
    if format_ == Format.TEAMS:
        return Request(_json(teams_message(payload)), {"Content-Type": "application/json"})
    body = _json(payload)
    when = now.astimezone(UTC).replace(microsecond=0)
    return Request(
        body,
        {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": sign(secrets, message_id, when, body),
        },
    )


# --- the human formats -------------------------------------------------------------


def _headline(payload: dict) -> tuple[str, str, str]:
    """Return (what happened, its title, its link) in the site's language."""
    data = payload["data"]
    kind = payload["type"]
    with translation.override(settings.LANGUAGE_CODE):
        if kind == EventType.THREAD_CREATED:
            what = _("New thread in %(group)s") % {"group": data["group"]["name"]}
            return what, data["thread"]["title"], data["thread"]["url"]
        if kind == EventType.POST_PUBLISHED:
            what = _("New reply in %(group)s") % {"group": data["group"]["name"]}
            return what, data["thread"]["title"], data["post"]["url"]
        if kind == EventType.MEETING_STARTING:
            what = _("Meeting starts in 15 minutes")
            return what, data["meeting"]["title"], data["meeting"]["url"]
        if kind == EventType.MEETING_MINUTES:
            what = _("Minutes published")
            return what, data["meeting"]["title"], data["thread"]["url"]
        return _("Test message from the forum"), data.get("group", {}).get("name", ""), ""


def _facts(payload: dict) -> list[tuple[str, str]]:
    data = payload["data"]
    facts = []
    with translation.override(settings.LANGUAGE_CODE):
        if "author" in data:
            author = data["author"]
            who = f"{author['name']} ({author['country']})" if author["country"] else author["name"]
            facts.append((_("By"), who))
        if "meeting" in data and "starts_at" in data["meeting"]:
            facts.append((_("Starts (UTC)"), data["meeting"]["starts_at"][:16].replace("T", " ")))
    return facts


def _escape_markdown(text: str) -> str:
    return "".join(f"\\{c}" if c in "\\`*_[]<>#" else c for c in text).replace("\n", " ")


def _cut_to_bytes(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` UTF-8 bytes on a character boundary, with '…'."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - len("…".encode())].decode(errors="ignore") + "…"


def wecom_markdown(payload: dict) -> str:
    """Return the WeCom markdown of a message: at most WECOM_MAX_BYTES bytes."""
    what, title, url = _headline(payload)
    lines = [f"**{_escape_markdown(what)}**"]
    lines.append(f"[{_escape_markdown(title)}]({url})" if url else _escape_markdown(title))
    for label, value in _facts(payload):
        lines.append(f'> {label}: <font color="comment">{_escape_markdown(value)}</font>')
    head = "\n".join(lines)
    excerpt = payload["data"].get("excerpt")
    if not excerpt:
        return _cut_to_bytes(head, WECOM_MAX_BYTES)
    room = WECOM_MAX_BYTES - len(head.encode()) - 2
    if room <= len("…".encode()):
        return _cut_to_bytes(head, WECOM_MAX_BYTES)
    return head + "\n\n" + _cut_to_bytes(_escape_markdown(excerpt), room)


def teams_message(payload: dict) -> dict:
    """Return the Teams Workflows message: one Adaptive Card."""
    what, title, url = _headline(payload)
    body: list[dict] = [
        {"type": "TextBlock", "text": what, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": title, "wrap": True},
    ]
    facts = _facts(payload)
    if facts:
        body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]})
    excerpt = payload["data"].get("excerpt")
    if excerpt:
        body.append({"type": "TextBlock", "text": excerpt, "wrap": True, "isSubtle": True})
    card: dict = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if url:
        with translation.override(settings.LANGUAGE_CODE):
            card["actions"] = [{"type": "Action.OpenUrl", "title": _("Open"), "url": url}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


# --- reading the answer --------------------------------------------------------------


def retry_after(value: str | None, now: datetime) -> float | None:
    """Return the seconds a `Retry-After` header asks for (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdecimal():
        seconds = float(int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_SECONDS)


def judge(format_: str, status: int, headers, body: bytes, now: datetime) -> Verdict:
    """Decide what an answer means for the delivery."""
    text = body[:300].decode(errors="replace")
    if status == 410:
        return Verdict("gone", detail=text)
    if 300 <= status < 400:
        return Verdict(
            "failure",
            detail=_("Redirect refused (to %(where)s).")
            % {"where": headers.get("location", "?")[:200]},
        )
    if not 200 <= status < 300:
        return Verdict("failure", retry_after(headers.get("retry-after"), now), text)
    if format_ == Format.WECOM:
        try:
            errcode = json.loads(body).get("errcode")
        except (ValueError, AttributeError):
            return Verdict("failure", detail=text)
        if errcode == 0:
            return Verdict("success", detail=text)
        if errcode == WECOM_THROTTLED:
            return Verdict("throttled", retry_after(headers.get("retry-after"), now), text)
        return Verdict("failure", detail=text)
    return Verdict("success", detail=text)
