"""Unread direct messages in the immediate email and in the digest: in the member's
language, with a link, never a deleted text, never before 15 minutes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Member
from conversations import mail
from conversations.actions import messages as actions
from conversations.actions import safety
from conversations.models import DirectMessage, MailPreference
from forum import digests
from tests.conversations.conftest import say
from tests.mail_fixtures import free_port, smtp_settings

pytestmark = pytest.mark.django_db


def age(message, minutes: int) -> None:
    DirectMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def mails_to(member) -> list:
    return [m for m in outbox.outbox if m.to == [member.email]]


def test_a_message_unread_for_fifteen_minutes_is_mailed_once(member, other_country_member, pair):
    message = say(member, pair, "Can we meet in **Lusaka**?")
    age(pair.messages.get(seq=1), 20)
    age(message, 5)
    mail.run()
    [first] = mails_to(other_country_member)
    assert "Hello" in first.body and f"/messages/{pair.pk}/#m1" in first.body
    assert "Lusaka" not in first.body  # still within its 15 minutes
    age(message, 16)
    call_command("send_message_emails", verbosity=0)
    second = mails_to(other_country_member)[1]
    assert "Can we meet in Lusaka?" in second.body
    assert "#m2" in second.body and "#m1" not in second.body
    mail.run()
    assert len(mails_to(other_country_member)) == 2  # never twice
    assert mails_to(member) == []  # nobody is mailed their own words


def test_read_muted_deleted_or_declined_sends_no_email(member, other_country_member, pair):
    age(pair.messages.get(seq=1), 20)
    actions.mark_read(member=other_country_member, conversation=pair)
    secret = say(member, pair, "Delete me before anyone reads it")
    age(secret, 20)
    actions.delete_message(author=member, message=secret)
    mail.run()
    assert mails_to(other_country_member) == []
    age(say(member, pair, "Muted words"), 20)
    actions.set_muted(member=other_country_member, conversation=pair, muted=True)
    mail.run()
    assert mails_to(other_country_member) == []
    actions.set_muted(member=other_country_member, conversation=pair, muted=False)
    MailPreference.objects.create(member=other_country_member, immediate=False)
    mail.run()
    assert mails_to(other_country_member) == []


def test_the_email_is_in_the_members_language(member, other_country_member, pair):
    Member.objects.filter(pk=other_country_member.pk).update(language="fr")
    age(pair.messages.get(seq=1), 20)
    mail.run()
    [message] = mails_to(other_country_member)
    # Dates follow the member's language (Django's French formats name the month).
    month = timezone.now().strftime("%B")
    assert month not in message.body
    assert message.to == [other_country_member.email]


def test_a_blocked_members_messages_are_never_mailed(make_member, legal):
    a, b, c = (make_member(country=cc, groups=[legal]) for cc in ("CN", "ZM", "KE"))
    _group, first = actions.start_conversation(
        author=a, recipients=[b, c], body="Hi", client_id="g"
    )
    safety.block(blocker=c, blocked=a)
    age(first, 20)
    mail.run()
    assert mails_to(c) == [] and len(mails_to(b)) == 1


def test_the_digest_lists_unread_messages_but_never_deleted_text(
    member, other_country_member, pair
):
    kept = say(member, pair, "Please review the draft MoU")
    gone = say(member, pair, "Wrong file, ignore")
    for message in (pair.messages.get(seq=1), kept, gone):
        age(message, 30)
    actions.delete_message(author=member, message=gone)
    Member.objects.filter(pk=other_country_member.pk).update(digest_hour=0, time_zone="UTC")
    digests.run(now=timezone.now() + timedelta(seconds=1))
    [digest] = mails_to(other_country_member)
    assert "Unread direct messages" in digest.body
    assert "Please review the draft MoU" in digest.body
    assert f"/messages/{pair.pk}/#m{kept.seq}" in digest.body
    assert "Wrong file" not in digest.body
    assert "Wrong file" not in str(digest.alternatives)


def test_the_digest_builder_costs_a_constant_number_of_queries(
    member, other_country_member, pair, make_member, legal, django_assert_num_queries
):
    others = [make_member(country="KE", groups=[legal]) for _ in range(3)]
    for n, other in enumerate(others):
        _c, first = actions.start_conversation(
            author=member, recipients=[other], body=f"Note {n}", client_id=f"d{n}"
        )
        age(first, 30)
    members = [other_country_member, *others]
    since = {m.pk: timezone.now() - timedelta(days=1) for m in members}
    with django_assert_num_queries(3):
        sections = mail.digest_section(members, since, timezone.now())
    # The pair's opening message is not 15 minutes old yet: only the three others.
    assert set(sections) == {m.pk for m in others}


# --- one immediate email, through a real SMTP server -------------------------------------


def received_by(server, member) -> list:
    return [m for m in server.messages if m["To"] == member.email]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def test_unread_messages_ride_in_the_notification_email_in_two_languages(
    settings, smtp_server, member, other_country_member, pair, make_member, legal, thread
):
    """A French member with a pending mention and an unread message gets one email with
    both; an Arabic member gets the message alone; deleted text goes nowhere."""
    from forum.actions.notifications import notify
    from forum.models import Notification
    from forum.models.notifications import NotificationKind

    port = free_port()
    server = smtp_server(port)
    smtp_settings(settings, port)
    arabic = make_member(country="EG", groups=[legal])
    Member.objects.filter(pk=other_country_member.pk).update(language="fr", time_zone="UTC")
    Member.objects.filter(pk=arabic.pk).update(language="ar", time_zone="Africa/Cairo")
    _talk, to_arabic = actions.start_conversation(
        author=member, recipients=[arabic], body="مرحبا، هل نلتقي؟", client_id="ar-1"
    )
    kept = say(member, pair, "Can we meet in **Lusaka**?")
    gone = say(member, pair, "Wrong file, ignore")
    for message in (pair.messages.get(seq=1), kept, gone, to_arabic):
        age(message, 20)
    actions.delete_message(author=member, message=gone)
    notify(
        recipient=other_country_member,
        kind=NotificationKind.MENTION,
        actor=member,
        post=thread.posts.get(),
    )
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    report = mail.run()
    assert report.sent == 2 and report.extra_items == 3 and report.notifications == 1

    [french] = received_by(server, other_country_member)
    assert french["Subject"] == "3 nouvelles notifications sur le forum"
    body = text_of(french)
    assert "Messages privés non lus" in body  # the French title of the part
    assert "Can we meet in Lusaka?" in body
    assert f"http://127.0.0.1:8000/messages/{pair.pk}/#m{kept.seq}" in body
    assert thread.title in body  # the mention, in the same email
    assert "Wrong file" not in body and "Wrong file" not in html_of(french)
    assert french["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    [arabic_mail] = received_by(server, arabic)
    assert 'dir="rtl"' in html_of(arabic_mail)
    assert "مرحبا، هل نلتقي؟" in text_of(arabic_mail)
    assert "Unread direct messages" not in text_of(arabic_mail)
    assert f"/messages/{to_arabic.conversation_id}/#m1" in text_of(arabic_mail)
    assert mails_to(member) == [] and received_by(server, member) == []

    # Each message is mailed once.
    assert mail.run().sent == 0
    assert len(server.messages) == 2


def test_stop_these_emails_stops_the_direct_messages_too(
    settings, smtp_server, member, other_country_member, pair
):
    port = free_port()
    server = smtp_server(port)
    smtp_settings(settings, port)
    age(pair.messages.get(seq=1), 20)
    mail.run()
    [received] = server.messages
    url = re.search(r"<(https?://[^>]+)>", received["List-Unsubscribe"]).group(1)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert MailPreference.objects.get(member=other_country_member).immediate is False
    age(say(member, pair, "Are you there?"), 20)
    mail.run()
    assert len(server.messages) == 1


def test_the_immediate_part_costs_a_constant_number_of_queries(
    member, pair, make_member, legal, django_assert_num_queries
):
    def conversation_with_unread() -> None:
        other = make_member(country="KE", groups=[legal])
        _c, first = actions.start_conversation(
            author=member, recipients=[other], body="Note", client_id=f"q{other.pk}"
        )
        age(first, 30)

    conversation_with_unread()
    with django_assert_num_queries(5):
        assert len(mail.immediate_section(timezone.now())) == 1
    for _ in range(4):
        conversation_with_unread()
    with django_assert_num_queries(5):
        assert len(mail.immediate_section(timezone.now())) == 5


def test_a_message_written_just_before_a_digest_reaches_the_next_one(
    member, other_country_member, pair
):
    """The digest lists messages once they are 15 minutes old: one written minutes before
    a digest is not in it, and is in the next one."""
    Member.objects.filter(pk=other_country_member.pk).update(digest_hour=0, time_zone="UTC")
    age(pair.messages.get(seq=1), 60)
    late = say(member, pair, "One more thing about the MoU")
    first_run = timezone.now() + timedelta(seconds=1)
    digests.run(now=first_run)
    [first] = mails_to(other_country_member)
    assert "One more thing" not in first.body
    digests.run(now=first_run + timedelta(days=1))
    second = mails_to(other_country_member)[1]
    assert "One more thing about the MoU" in second.body
    assert f"/messages/{pair.pk}/#m{late.seq}" in second.body
