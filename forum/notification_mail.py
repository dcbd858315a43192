"""Immediate emails for mentions and replies, gathered so that a burst sends one email.

`notify()` marks a notification `email_pending` when its recipient wants email for
its kind; `manage.py send_notifications` (every few minutes) mails each member's
pending ones together once the burst has settled, re-checking visibility first.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
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


def _message(member, items) -> EmailMultiAlternatives:
    with translation.override(member.language), timezone.override(member.time_zone):
        subject = ngettext(
            "%(n)d new notification in the forum",
            "%(n)d new notifications in the forum",
            len(items),
        ) % {"n": len(items)}
        context = {
            "member": member,
            "items": items,
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


def run(*, now: datetime | None = None) -> MailReport:
    """Mail every member whose pending notifications are ready; keep failures pending."""
    now = now or timezone.now()
    report = MailReport()
    member_ids = ready_members(now)
    if not member_ids:
        return report
    pending: dict[int, list[Notification]] = defaultdict(list)
    for notification in (
        inbox.notifications_for_many(member_ids).filter(email_pending=True).order_by("created_at")
    ):
        pending[notification.recipient_id].append(notification)
    try:
        connection = mailers.default
        connection.open()
    except Exception:
        logger.warning("Could not reach the mail server; notifications stay pending", exc_info=True)
        report.failed = len(pending)
        return report
    try:
        for member_id, notes in pending.items():
            member = notes[0].recipient
            wanted = [n for n in notes if member.is_active and wants_email(member, n.kind)]
            # What the member may see now: a removed post sends no email about it.
            items = [
                item for item in inbox.items(member, wanted[-MAX_PER_EMAIL:]) if item.available
            ]
            if items:
                try:
                    connection.send_messages([_message(member, items)])
                except Exception:
                    logger.warning("Could not mail member %s", member_id, exc_info=True)
                    report.failed += 1
                    continue
                report.sent += 1
                report.notifications += len(items)
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(email_pending=False)
    finally:
        connection.close()
    return report
