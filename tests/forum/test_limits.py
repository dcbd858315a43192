"""What members may write: forms and actions refuse the same characters."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from forum import limits
from forum.actions import threads as actions
from forum.forms import ChatForm, ReplyForm, ThreadForm

REFUSED = ["nul\x00", "lone \ud800", "bell\x07", "escape\x1b[31m", "delete\x7f", "vertical\x0btab"]
ACCEPTED = ["tab\tand\nlines\r\n", "中文和 العربية", "emoji 🌍", "zero\u200bwidth"]


@pytest.mark.parametrize("text", REFUSED)
def test_control_characters_and_broken_unicode_are_refused(text):
    with pytest.raises(ValidationError) as refused:
        limits.check_characters(text)
    assert refused.value.code == "bad_characters"


@pytest.mark.parametrize("text", ACCEPTED)
def test_ordinary_text_in_any_script_passes(text):
    assert limits.check_characters(text) == text


@pytest.mark.parametrize("text", REFUSED)
def test_forms_refuse_what_the_actions_refuse(text, legal, member, thread):
    data = {"title": "A title", "body": text, "audience": "group"}
    form = ThreadForm(data, group=legal)
    assert not form.is_valid() and "body" in form.errors
    assert len(form.errors["body"]) == 1  # one message, not Django's NUL one besides
    assert not ReplyForm({"body": text}).is_valid()
    assert not ChatForm({"client_id": "c", "body": text}).is_valid()
    with pytest.raises(ValidationError):
        actions.reply(author=member, parent=thread.posts.get(), body=text)
    with pytest.raises(ValidationError):
        actions.create_thread(author=member, group=legal, title=f"Title {text}", body="x")


def test_rate_limit_window_slides_across_the_minute_boundary():
    # One use in the last second of a minute and one in the first second of the next
    # are two uses within a minute: the second is refused, as it would be mid-minute.
    start = 6_000_000 * 60.0
    assert limits.consume("boundary", limit=1, window=60, now=start + 59.5)
    assert not limits.consume("boundary", limit=1, window=60, now=start + 60.5)


def test_rate_limit_allows_again_once_a_whole_window_has_passed():
    start = 6_000_001 * 60.0
    assert limits.consume("recovers", limit=2, window=60, now=start + 10)
    assert limits.consume("recovers", limit=2, window=60, now=start + 20)
    assert not limits.consume("recovers", limit=2, window=60, now=start + 30)
    # Late in the next minute the earlier burst weighs little: one more use passes.
    assert limits.consume("recovers", limit=2, window=60, now=start + 60 + 50)
    assert limits.consume("recovers", limit=2, window=60, now=start + 180)


def test_rate_limits_fail_open_while_redis_does_not_answer(monkeypatch):
    """The counters live in Redis; while it is away, writes pass rather than fail."""
    from forum.cache import ResilientRedisCache

    timeouts = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    away = ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": timeouts})
    monkeypatch.setattr(limits, "cache", away)
    assert limits.consume("away", limit=1, window=60)
    assert limits.consume("away", limit=1, window=60)
