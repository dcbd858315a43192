"""Immediate notification emails: a settled burst is one email, never about a hidden post."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Member
from forum import notification_mail
from forum.actions import threads as actions
from forum.models import Notification

# Notifications are derived once the post's transaction commits: commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("posting_unlimited")]


@pytest.fixture
def wants_replies(member):
    Member.objects.filter(pk=member.pk).update(email_replies=True)
    member.refresh_from_db()
    return member


def later(minutes: int = 3):
    return timezone.now() + timedelta(minutes=minutes)


def test_a_burst_of_replies_is_one_email(thread, wants_replies, other_country_member):
    """Five replies in a row become one email listing all five."""
    opening = thread.posts.get()
    for n in range(5):
        actions.reply(author=other_country_member, parent=opening, body=f"Reply number {n}")
    report = notification_mail.run(now=later())
    assert report.sent == 1
    [message] = mail.outbox
    assert message.to == [wants_replies.email]
    assert message.subject == "5 new notifications in the forum"
    assert all(f"Reply number {n}" in message.body for n in range(5))
    assert "http://127.0.0.1:8000/p/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not Notification.objects.filter(email_pending=True).exists()
    notification_mail.run(now=later(10))
    assert len(mail.outbox) == 1


def test_waits_while_the_burst_goes_on(thread, wants_replies, other_country_member):
    """Nothing is mailed until the notifications have been quiet for two minutes."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="Hi")
    assert notification_mail.run(now=timezone.now()).sent == 0
    assert mail.outbox == []


def test_replies_are_not_mailed_by_default(thread, member, other_country_member):
    """Default settings mail mentions only."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="Hi")
    notification_mail.run(now=later())
    assert mail.outbox == []


def test_removed_post_is_not_mailed(thread, wants_replies, other_country_member, moderator):
    """A post removed before the email went out is left out of it."""
    post = actions.reply(author=other_country_member, parent=thread.posts.get(), body="Oops")
    actions.remove_post(moderator=moderator, post=post, reason="Spam")
    notification_mail.run(now=later())
    assert mail.outbox == []
    assert not Notification.objects.filter(email_pending=True).exists()


def test_smtp_down_keeps_them_pending(thread, wants_replies, other_country_member, settings):
    """With the mail server unreachable, nothing is lost: the next run sends them."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="Hi")
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    assert notification_mail.run(now=later()).failed == 1
    assert Notification.objects.filter(email_pending=True).count() == 1
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert notification_mail.run(now=later()).sent == 1
