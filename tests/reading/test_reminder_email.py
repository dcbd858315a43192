"""Bookmark reminders by email: to members who asked for immediate email, through the
notifications' own mail path, in their language and zone, only about what they may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Member
from forum import notification_mail
from forum.actions import reading
from forum.actions import threads as actions
from forum.models import Notification
from tests.mail_fixtures import free_port, smtp_settings

# The notices' mail path runs after commit: commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("posting_unlimited")]

REMIND_AT = datetime(2036, 3, 2, 6, 30, tzinfo=UTC)


@pytest.fixture
def reply(thread, other_country_member):
    return actions.reply(author=other_country_member, parent=thread.posts.get(), body="An answer")


@pytest.fixture
def smtp(settings, smtp_server):
    port = free_port()
    server = smtp_server(port)
    smtp_settings(settings, port)
    return server


def french_reader(make_member, legal, **fields) -> Member:
    return make_member(
        country="CN", groups=[legal], language="fr", time_zone="Asia/Shanghai", **fields
    )


def remind(member: Member, post, note: str = "") -> None:
    reading.set_bookmark(member=member, post=post, remind_at=REMIND_AT, note=note)
    reading.send_due_reminders(now=REMIND_AT)


def test_a_reminder_is_emailed_in_the_members_language_and_zone(reply, make_member, legal, smtp):
    reader = french_reader(make_member, legal)
    remind(reader, reply, note="Répondre à Amina")
    report = notification_mail.run(now=REMIND_AT + timedelta(minutes=3))
    assert report.sent == 1
    [received] = smtp.messages
    assert received["To"] == reader.email
    assert received["Subject"] == "1 nouvelle notification sur le forum"
    text = received.get_body(("plain",)).get_content()
    # 06:30 UTC is 14:30 in Shanghai, written the French way.
    assert "Rappel (2 mars 2036 14:30)" in text
    assert "Répondre à Amina" in text
    assert reply.get_absolute_url() in text
    html = received.get_body(("html",)).get_content()
    assert "Rappel (2 mars 2036 14:30)" in html
    assert not Notification.objects.filter(email_pending=True).exists()
    notification_mail.run(now=REMIND_AT + timedelta(minutes=30))
    assert len(smtp.messages) == 1  # once


def test_without_immediate_email_the_reminder_stays_in_the_inbox(reply, make_member, legal, smtp):
    reader = french_reader(make_member, legal, email_mentions=False, email_replies=False)
    remind(reader, reply)
    assert Notification.objects.filter(recipient=reader, kind="reminder").exists()
    assert notification_mail.run(now=REMIND_AT + timedelta(minutes=3)).sent == 0
    assert smtp.messages == []


def test_a_member_who_wants_replies_by_email_gets_reminders_too(reply, make_member, legal, smtp):
    reader = french_reader(make_member, legal, email_mentions=False, email_replies=True)
    remind(reader, reply)
    assert notification_mail.run(now=REMIND_AT + timedelta(minutes=3)).sent == 1
    assert len(smtp.messages) == 1


def test_a_post_gone_from_the_members_reach_before_the_mail_is_not_emailed(
    reply, make_member, legal, promotion, smtp
):
    reader = french_reader(make_member, legal)
    remind(reader, reply)
    assert Notification.objects.filter(recipient=reader, email_pending=True).exists()
    mover = make_member(country="KE", groups=[legal, promotion], role="moderator", mfa=True)
    actions.move_thread(moderator=mover, thread=reply.thread, group=promotion)
    assert notification_mail.run(now=REMIND_AT + timedelta(minutes=3)).sent == 0
    assert smtp.messages == []
    assert not Notification.objects.filter(recipient=reader, email_pending=True).exists()


def test_a_reminder_about_a_removed_post_is_not_emailed(reply, make_member, legal, chair, smtp):
    reader = french_reader(make_member, legal)
    actions.remove_post(moderator=chair, post=reply, reason="Off topic.")
    remind(reader, reply)
    assert notification_mail.run(now=REMIND_AT + timedelta(minutes=3)).sent == 0
    assert smtp.messages == []
