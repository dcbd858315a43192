"""What WeCom and Teams receive, byte for byte, and how their answers count."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from webhooks import formats

NOW = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)

THREAD_CREATED = {
    "type": "thread.created",
    "timestamp": "2026-05-04T08:30:00Z",
    "data": {
        "group": {"slug": "legal-policy", "name": "Legal policy"},
        "thread": {"id": 7, "title": "Mining code *changes*", "url": "https://f.example/t/7-m/"},
        "post": {"id": 11, "number": 1, "url": "https://f.example/p/11/"},
        "author": {"name": "Li Wei", "country": "CN"},
        "seq": 42,
    },
}

MEETING_STARTING = {
    "type": "meeting.starting",
    "timestamp": "2026-05-04T08:30:00Z",
    "data": {
        "group": {"slug": "meetings", "name": "Meetings"},
        "meeting": {
            "id": 3,
            "title": "Annual forum",
            "url": "https://f.example/m/3/",
            "starts_at": "2026-05-04T08:45:00Z",
            "ends_at": "2026-05-04T10:45:00Z",
            "format": "online",
        },
    },
}


def test_wecom_snapshot_of_a_new_thread():
    request = formats.build("wecom", THREAD_CREATED, message_id="msg_x", secrets=[], now=NOW)
    assert json.loads(request.body) == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**New thread in Legal policy**\n"
            "[Mining code \\*changes\\*](https://f.example/t/7-m/)\n"
            '> By: <font color="comment">Li Wei (CN)</font>'
        },
    }
    assert "webhook-signature" not in request.headers


def test_wecom_snapshot_of_a_meeting_reminder():
    content = formats.wecom_markdown(MEETING_STARTING)
    assert content == (
        "**Meeting starts in 15 minutes**\n"
        "[Annual forum](https://f.example/m/3/)\n"
        '> Starts (UTC): <font color="comment">2026-05-04 08:45</font>'
    )


def test_wecom_markdown_stays_within_4096_bytes_on_a_character_boundary():
    long = {**THREAD_CREATED, "data": {**THREAD_CREATED["data"], "excerpt": "矿业法规" * 2000}}
    content = formats.wecom_markdown(long)
    assert len(content.encode()) <= formats.WECOM_MAX_BYTES
    assert content.endswith("…")
    content.encode().decode()  # valid UTF-8 throughout


def test_teams_snapshot_of_a_new_thread():
    request = formats.build("teams", THREAD_CREATED, message_id="msg_x", secrets=[], now=NOW)
    assert json.loads(request.body) == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": "New thread in Legal policy",
                            "weight": "Bolder",
                            "size": "Medium",
                            "wrap": True,
                        },
                        {"type": "TextBlock", "text": "Mining code *changes*", "wrap": True},
                        {"type": "FactSet", "facts": [{"title": "By", "value": "Li Wei (CN)"}]},
                    ],
                    "actions": [
                        {
                            "type": "Action.OpenUrl",
                            "title": "Open",
                            "url": "https://f.example/t/7-m/",
                        }
                    ],
                },
            }
        ],
    }


def test_standard_headers_follow_standard_webhooks():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    request = formats.build(
        "standard", THREAD_CREATED, message_id="msg_1", secrets=[secret], now=NOW
    )
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert request.headers["webhook-signature"].startswith("v1,")
    assert json.loads(request.body) == THREAD_CREATED


def test_how_answers_count():
    empty = httpx.Headers()
    assert formats.judge("teams", 202, empty, b"", NOW).outcome == "success"
    assert formats.judge("standard", 500, empty, b"", NOW).outcome == "failure"
    assert formats.judge("standard", 410, empty, b"", NOW).outcome == "gone"
    assert formats.judge("wecom", 200, empty, b'{"errcode":0}', NOW).outcome == "success"
    assert formats.judge("wecom", 200, empty, b'{"errcode":45009}', NOW).outcome == "throttled"
    assert formats.judge("wecom", 200, empty, b'{"errcode":93000}', NOW).outcome == "failure"
    assert formats.judge("wecom", 200, empty, b"<html>", NOW).outcome == "failure"
    later = httpx.Headers({"Retry-After": "Mon, 04 May 2026 08:32:00 GMT"})
    assert formats.judge("standard", 503, later, b"", NOW).retry_after == 120
    assert formats.retry_after("999999999", NOW) == formats.RETRY_AFTER_MAX_SECONDS
    assert formats.retry_after("soon", NOW) is None
