"""Immediate emails for mentions and replies, gathered so that a burst sends one email.

`notify()` marks a notification `email_pending` when its recipient wants email for
its kind; `manage.py send_notifications` (every few minutes) mails each member's
pending ones together once the burst has settled, re-checking visibility first.
Other apps add their own parts to the same email (EXTRA_SECTIONS: direct messages left
unread), so that a member gets one immediate email, not one per feature.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import Max, Min
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from accounts import unsubscribe
from forum import inbox
from forum.actions.notifications import wants_email
from forum.models import Notification

logger = logging.getLogger(__name__)

# Wait until a member's notifications have been quiet this long, so a burst of
# replies is one email; but never hold the first one longer than MAX_WAIT.
QUIET = timedelta(minutes=2)
MAX_WAIT = timedelta(minutes=15)
MAX_PER_EMAIL = 20


@dataclass
class MailReport:
    sent: int = 0
    failed: int = 0
    notifications: int = 0
    extra_items: int = 0


@dataclass
class ExtraItem:
    text: str
    url: str  # absolute
    when: datetime | None = None


@dataclass
class ExtraSection:
    """A part another app adds to a member's immediate email (unread direct messages)."""

    title: str
    items: list[ExtraItem]
    # Called once the email carrying this section is sent, so it is never mailed twice.
    sent: Callable[[], None] = field(default=lambda: None)


# Builders of extra sections: called once per run with `now`; each returns
# {member id: ExtraSection} for the members who want it and have something due, in a
# constant number of queries. Registered by the apps in their ready().
EXTRA_SECTIONS: list[Callable[[datetime], dict[int, ExtraSection]]] = []


def ready_members(now: datetime) -> list[int]:
    """Return the members whose pending notifications are ready to mail."""
    rows = (
        Notification.objects.filter(email_pending=True)
        .values("recipient")
        .annotate(newest=Max("created_at"), oldest=Min("created_at"))
    )
    return [
        row["recipient"]
        for row in rows
        if row["newest"] <= now - QUIET or row["oldest"] <= now - MAX_WAIT
    ]


def _message(member, items, sections: list[ExtraSection]) -> EmailMultiAlternatives:
    with translation.override(member.language), timezone.override(member.time_zone):
        n = len(items) + sum(len(section.items) for section in sections)
        subject = ngettext(
            "%(n)d new notification in the forum",
            "%(n)d new notifications in the forum",
            n,
        ) % {"n": n}
        context = {
            "member": member,
            "items": items,
            "sections": sections,
            "site_url": settings.SITE_URL,
            "settings_url": settings.SITE_URL + "/settings/notifications/",
            "inbox_url": settings.SITE_URL + "/inbox/",
            "unsubscribe_url": unsubscribe.link(member, "notifications"),
            "LANGUAGE_BIDI": translation.get_language_bidi(),
            "subject": subject,
        }
        text = render_to_string("email/notifications.txt", context)
        html = render_to_string("email/notifications.html", context)
    message = EmailMultiAlternatives(
        subject, text, to=[member.email], headers=unsubscribe.headers(member, "notifications")
    )
    message.attach_alternative(html, "text/html")
    return message


def _extra_sections(now: datetime) -> dict[int, list[ExtraSection]]:
    found: dict[int, list[ExtraSection]] = defaultdict(list)
    for builder in EXTRA_SECTIONS:
        for member_id, section in builder(now).items():
            if section.items:
                found[member_id].append(section)
    return found


def run(*, now: datetime | None = None) -> MailReport:
    """Mail every member whose pending notifications (or another app's section, such as
    unread direct messages) are ready, all in one email; keep failures pending."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    report = MailReport()
    extras = _extra_sections(now)
    # A member with something else due gets their pending notifications with it.
    member_ids = sorted(set(ready_members(now)) | set(extras))
    if not member_ids:
        return report
    pending: dict[int, list[Notification]] = defaultdict(list)
    for notification in (
        inbox.notifications_for_many(member_ids).filter(email_pending=True).order_by("created_at")
    ):
        pending[notification.recipient_id].append(notification)
    members = get_user_model().objects.in_bulk([m for m in member_ids if m not in pending])
    try:
        connection = mailers.default
        connection.open()
    except Exception:
        logger.warning("Could not reach the mail server; notifications stay pending", exc_info=True)
        report.failed = len(member_ids)
        return report
    try:
        for member_id in member_ids:
            notes = pending.get(member_id, [])
            member = notes[0].recipient if notes else members.get(member_id)
            if member is None:
                continue
            wanted = [n for n in notes if member.is_active and wants_email(member, n.kind)]
            # What the member may see now: a removed post sends no email about it.
            items = [
                item for item in inbox.items(member, wanted[-MAX_PER_EMAIL:]) if item.available
            ]
            sections = extras.get(member_id, []) if member.is_active else []
            if items or sections:
                try:
                    connection.send_messages([_message(member, items, sections)])
                except Exception:
                    logger.warning("Could not mail member %s", member_id, exc_info=True)
                    report.failed += 1
                    continue
                report.sent += 1
                report.notifications += len(items)
                for section in sections:
                    report.extra_items += len(section.items)
                    section.sent()
            if notes:
                Notification.objects.filter(pk__in=[n.pk for n in notes]).update(
                    email_pending=False
                )
    finally:
        connection.close()
    return report
