"""What members may write: characters, sizes and rates.

Forms, actions and sockets all check text here, so a frame cannot carry what a form
refuses: the form fields validate with `check_characters` and these limits, and the
actions run the same checks again whoever calls them.
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MIN, BODY_MAX = 1, 50_000
TAGS_MAX = 20
REASON_MAX = 500


class RateLimited(ValidationError):
    """Too many writes in the current window."""


def consume(key: str, *, limit: int, window: int, now: float | None = None) -> bool:
    """Count one use of `key`; return False once more than `limit` fall in one window.

    The window slides: the previous fixed window's count is weighed by how much of it
    the sliding window still covers, so two bursts either side of a boundary cannot
    pass twice the limit (a fixed window would let a member do that every minute).
    """
    now = time.time() if now is None else now
    slot, into = divmod(now, window)
    current = f"limit:{key}:{int(slot)}"
    previous_key = f"limit:{key}:{int(slot) - 1}"
    count_window = getattr(cache, "count_window", None)
    if count_window is not None:
        # Redis: both counters in one round trip.
        used, previous = count_window(current, previous_key, window * 2)
        return used + previous * (1 - into / window) <= limit
    if cache.add(current, 1, timeout=window * 2):
        used = 1
    else:
        try:
            used = cache.incr(current)
        except ValueError:  # the bucket expired between add and incr
            cache.add(current, 1, timeout=window * 2)
            used = 1
    previous = cache.get(previous_key) or 0
    return used + previous * (1 - into / window) <= limit


def check_posting_rate(member) -> None:
    """Refuse a post when `member` has posted too often in the last minute."""
    limit = settings.FORUM_POSTS_PER_MINUTE
    if not consume(f"post:{member.pk}", limit=limit, window=60):
        raise RateLimited(
            _(
                "You are posting too quickly. Please wait a minute and try again; "
                "your text has been kept."
            ),
            code="rate_limited",
        )


# No member's text carries these: NUL (PostgreSQL's text type cannot hold it), lone
# surrogates (they have no UTF-8 form: the sanitizer and the database fail on them),
# and the other C0 controls and DEL; tab and line breaks stay.
_REFUSED_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def check_characters(text: str) -> str:
    """Return `text` unless it carries a control character or broken Unicode."""
    if not isinstance(text, str):
        raise ValidationError(_("Text expected."), code="bad_text")
    if _REFUSED_CHARACTERS.search(text):
        raise ValidationError(
            _("The text contains control characters or broken Unicode; please remove them."),
            code="bad_characters",
        )
    return text


def check_note(note: str) -> str:
    """Check a reason or a note to a member: plain text, at most REASON_MAX characters."""
    note = check_characters(note).strip()
    if len(note) > REASON_MAX:
        raise ValidationError(
            _("A reason or note can be at most %(max)d characters.") % {"max": REASON_MAX},
            code="reason_length",
        )
    return note


def check_title(title: str) -> str:
    title = " ".join(check_characters(title).split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise ValidationError(
            _("A title needs %(min)d to %(max)d characters (it has %(n)d).")
            % {"min": TITLE_MIN, "max": TITLE_MAX, "n": len(title)},
            code="title_length",
        )
    return title


def check_body(body: str) -> str:
    body = check_characters(body).replace("\r\n", "\n").strip("\n")
    if not body.strip():
        raise ValidationError(_("Write something before posting."), code="body_empty")
    if len(body) > BODY_MAX:
        raise ValidationError(
            _("A post can be at most %(max)d characters long (this one has %(n)d).")
            % {"max": BODY_MAX, "n": len(body)},
            code="body_length",
        )
    return body


# Meeting chat: a message is short, and each member may send a few per window.
CHAT_BODY_MAX = 4_000
CHAT_CLIENT_ID_MAX = 64
CHAT_PER_WINDOW, CHAT_WINDOW_SECONDS = 5, 10
MINUTES_MAX = BODY_MAX


def check_chat_body(body: str) -> str:
    body = check_characters(body).replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError(_("Write something before sending."), code="body_empty")
    if len(body) > CHAT_BODY_MAX:
        raise ValidationError(
            _("A chat message can be at most %(max)d characters long (this one has %(n)d).")
            % {"max": CHAT_BODY_MAX, "n": len(body)},
            code="body_length",
        )
    return body
