"""Digests: due in each member's hour, only what they may see, sent once, retried, unsubscribed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail, signing
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import unsubscribe
from accounts.models import Member
from forum import digests
from forum.actions import threads as actions
from forum.models import Digest, Meeting, Mention, Role
from tests.mail_fixtures import free_port, smtp_settings

pytestmark = pytest.mark.usefixtures("posting_unlimited")


def make_due(*members: Member) -> None:
    """Digest at 00:00 UTC: due at any time of day."""
    Member.objects.filter(pk__in=[m.pk for m in members]).update(digest_hour=0, time_zone="UTC")


def run(**options) -> digests.RunReport:
    return digests.run(now=timezone.now() + timedelta(seconds=1), **options)


def mails_to(member: Member) -> list:
    return [m for m in mail.outbox if m.to == [member.email]]


def html_of(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


# --- when ----------------------------------------------------------------------------------


def member_at(frequency="daily", hour=7, weekday=0, zone="UTC") -> Member:
    return Member(
        digest_frequency=frequency, digest_hour=hour, digest_weekday=weekday, time_zone=zone
    )


def test_daily_digest_is_due_from_the_local_hour_on_the_local_date():
    """07:00 in Lagos (UTC+1) is 06:00 UTC; the period is the local date."""
    lagos = member_at(zone="Africa/Lagos")
    assert digests.due_period(lagos, datetime(2026, 11, 24, 5, 59, tzinfo=UTC)) is None
    assert digests.due_period(lagos, datetime(2026, 11, 24, 6, 0, tzinfo=UTC)) == "daily:2026-11-24"


def test_hour_on_another_utc_date():
    """07:00 Tuesday in Auckland is 18:00 Monday UTC: due then, for the local Tuesday."""
    auckland = member_at(zone="Pacific/Auckland")
    monday_evening_utc = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    assert digests.due_period(auckland, monday_evening_utc) == "daily:2026-11-24"
    los_angeles = member_at(zone="America/Los_Angeles")
    assert digests.due_period(los_angeles, monday_evening_utc) == "daily:2026-11-23"


def test_weekly_digest_follows_the_local_weekday():
    """A Tuesday (weekday 1) digest in Auckland is due on Monday UTC, not on Tuesday UTC."""
    auckland = member_at(frequency="weekly", weekday=1, zone="Pacific/Auckland")
    assert (
        digests.due_period(auckland, datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
        == "weekly:2026-11-24"
    )
    # Tuesday 20:00 UTC is already Wednesday in Auckland.
    assert digests.due_period(auckland, datetime(2026, 11, 24, 20, 0, tzinfo=UTC)) is None


def test_a_run_dates_each_digest_in_the_members_own_zone(thread, make_member, legal):
    """Kiritimati (UTC+14) and Pago Pago (UTC-11) are on different dates at any moment:
    each member is due at their own hour, and the period is their own local date."""
    from zoneinfo import ZoneInfo

    now = timezone.now() + timedelta(seconds=1)
    Member.objects.update(digest_frequency="off")
    due, not_yet = [], []
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        local = now.astimezone(ZoneInfo(zone))
        due.append((make_member(country="ZM", groups=[legal], time_zone=zone), local))
        if local.hour < 23:
            later_today = make_member(country="ZM", groups=[legal], time_zone=zone)
            Member.objects.filter(pk=later_today.pk).update(digest_hour=local.hour + 1)
            not_yet.append(later_today)
        Member.objects.filter(pk=due[-1][0].pk).update(digest_hour=local.hour)
    digests.run(now=now)
    for member, local in due:
        assert Digest.objects.get(member=member).period == f"daily:{local.date().isoformat()}"
        assert len(mails_to(member)) == 1
    assert due[0][1].date() != due[1][1].date()
    for member in not_yet:
        assert not Digest.objects.filter(member=member).exists()
        assert mails_to(member) == []


def test_no_digest_when_switched_off():
    assert digests.due_period(member_at(frequency="off"), timezone.now()) is None


def test_members_not_due_yet_get_nothing(thread, member, other_country_member):
    """A member whose local hour has not come yet is not mailed."""
    Member.objects.filter(pk=other_country_member.pk).update(digest_hour=23, time_zone="UTC")
    run_at = timezone.now().replace(hour=12)
    digests.run(now=run_at)
    assert mails_to(other_country_member) == []


# --- what ----------------------------------------------------------------------------------


def test_digest_lists_new_threads_replies_and_links(
    thread, member, other_country_member, make_member, legal
):
    """A new thread shows with author, country, first lines and an absolute link."""
    reader = make_member(country="ZM", groups=[legal])
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="First reply")
    make_due(reader)
    run()
    [message] = mails_to(reader)
    assert message.subject == "Legal policy: 1 new thread, 1 reply"
    assert thread.title in message.body
    assert "What changed?" in message.body
    assert f"http://127.0.0.1:8000/t/{thread.pk}-" in message.body
    assert "http://127.0.0.1:8000/t/" in html_of(message)


def test_domestic_thread_never_reaches_another_country(domestic_thread, member, make_member, legal):
    """A Chinese domestic thread is in a Chinese member's digest, never a Zambian's."""
    chinese = make_member(country="CN", groups=[legal])
    zambian = make_member(country="ZM", groups=[legal])
    actions.reply(author=member, parent=domestic_thread.posts.get(), body="Domestic reply")
    make_due(chinese, zambian)
    run()
    assert domestic_thread.title in mails_to(chinese)[0].body
    assert mails_to(zambian) == []
    assert Digest.objects.get(member=zambian).status == Digest.Status.EMPTY


def test_pending_posts_only_count_for_moderators(
    thread, member, moderator, other_country_member, monkeypatch
):
    """A post waiting for review is a number in moderators' digests, never its text."""
    from forum.models import ModerationPolicy

    thread.group.moderation_policy = ModerationPolicy.CROSS_BORDER
    thread.group.save(update_fields=["moderation_policy"])
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="Pending secret")
    actions.create_thread(
        author=other_country_member, group=thread.group, title="Pending title", body="Hidden"
    )
    make_due(moderator, member)
    run()
    [for_moderator] = mails_to(moderator)
    assert "1 post to review" not in for_moderator.subject
    assert "2 posts to review" in for_moderator.subject
    for message in mail.outbox:
        assert "Pending secret" not in message.body + html_of(message)
        assert "Pending title" not in message.body + html_of(message)
    [for_member] = mails_to(member)
    assert "review" not in for_member.subject


def test_group_left_out_is_not_in_the_digest(thread, member, make_member, legal, promotion):
    """A group the member left out of the digest does not appear in it."""
    both = make_member(country="ZM", groups=[legal, promotion])
    partner = make_member(country="KE", groups=[promotion])
    actions.create_thread(author=partner, group=promotion, title="Docking offer", body="Offer")
    Member.objects.filter(pk=both.pk).update(digest_skip_groups=[legal.pk])
    make_due(both)
    run()
    [message] = mails_to(both)
    assert "Docking offer" in message.body
    assert message.subject == "Project promotion: 1 new thread"
    assert thread.title not in message.body


def test_mentions_are_listed(thread, member, other_country_member):
    """A mention of the member appears in its own section."""
    actions.reply(
        author=other_country_member, parent=thread.posts.get(), body=f"@{member.handle} look"
    )
    assert Mention.objects.filter(member=member).exists()
    make_due(member)
    run()
    [message] = mails_to(member)
    assert "1 mention" in message.subject
    assert "Mentions of you" in message.body


def test_digest_is_in_the_members_language_and_zone(thread, make_member, legal):
    """A French reader gets French group names and times in their own zone."""
    reader = make_member(country="FR", groups=[legal], language="fr")
    make_due(reader)
    Member.objects.filter(pk=reader.pk).update(time_zone="Asia/Shanghai")
    run()
    [message] = mails_to(reader)
    assert message.subject.startswith("Politique juridique")
    assert 'lang="fr"' in html_of(message)


def test_nothing_new_sends_nothing(member, make_member, legal):
    """No activity: no email, and the period is recorded as empty."""
    make_due(member)
    run()
    assert mail.outbox == []
    assert Digest.objects.get(member=member).status == Digest.Status.EMPTY


def test_dry_run_lists_and_sends_nothing(thread, other_country_member):
    """--dry-run reports who would get what and writes nothing."""
    make_due(other_country_member)
    report = run(dry_run=True)
    assert (other_country_member.email, "Legal policy: 1 new thread") in report.planned
    assert mail.outbox == []
    assert not Digest.objects.exists()


def test_every_digest_carries_unsubscribe_headers(thread, make_member, legal):
    """List-Unsubscribe (https link and mailto) and one-click POST on 100% of digests."""
    readers = [make_member(country="ZM", groups=[legal]) for _ in range(5)]
    make_due(*readers)
    run(batch_size=2)
    assert len(mail.outbox) >= 5
    for message in mail.outbox:
        header = message.extra_headers["List-Unsubscribe"]
        assert "<http://127.0.0.1:8000/unsubscribe/" in header
        assert "<mailto:" in header
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert html_of(message).lstrip().startswith("<!DOCTYPE html>")


# --- once, and retried ------------------------------------------------------------------------


def test_rerun_sends_nobody_twice(thread, other_country_member):
    """A second run in the same period finds the digest recorded and sends nothing."""
    make_due(other_country_member)
    run()
    run()
    assert len(mails_to(other_country_member)) == 1


class CrashAfterTwo(LocmemBackend):
    """Delivers two messages, then the process "dies" (an interrupt, not a mail error)."""

    delivered = 0

    def send_messages(self, messages):
        if CrashAfterTwo.delivered >= 2:
            raise KeyboardInterrupt
        CrashAfterTwo.delivered += 1
        return super().send_messages(messages)


def test_crash_mid_run_then_rerun_sends_the_rest_once(thread, make_member, legal, settings):
    """After a crash, a rerun sends the digests not yet sent, and nobody gets two."""
    readers = [make_member(country="ZM", groups=[legal]) for _ in range(6)]
    make_due(*readers)
    Member.objects.exclude(pk__in=[r.pk for r in readers]).update(digest_frequency="off")
    CrashAfterTwo.delivered = 0
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.CrashAfterTwo"}}
    with pytest.raises(KeyboardInterrupt):
        run(batch_size=10)
    assert len(mail.outbox) == 2
    statuses = list(Digest.objects.values_list("status", flat=True))
    in_flight = statuses.count("sending")
    assert in_flight == 1
    assert statuses.count("sent") == 2
    assert statuses.count("pending") == 6 - 2 - in_flight
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    report = run(batch_size=10)
    assert report.sent == 6 - 2 - in_flight
    recipients = [m.to[0] for m in mail.outbox]
    # Nobody twice; the ones in flight at the crash are never resent.
    assert len(recipients) == len(set(recipients)) == 6 - in_flight


def test_smtp_down_then_up(thread, other_country_member, settings, smtp_server):
    """SMTP down: the failure is recorded. Next run, with SMTP up: sent, once, nothing lost."""
    make_due(other_country_member)
    Member.objects.exclude(pk=other_country_member.pk).update(digest_frequency="off")
    port = free_port()
    smtp_settings(settings, port)
    report = run()
    assert report.failed == 1
    digest = Digest.objects.get(member=other_country_member)
    assert digest.status == Digest.Status.FAILED and digest.attempts == 1
    assert "Connection" in digest.last_error or "refused" in digest.last_error.lower()
    server = smtp_server(port)
    report = run()
    assert report.sent == 1
    assert len(server.messages) == 1
    assert thread.title in server.messages[0].get_body(("plain",)).get_content()
    run()
    assert len(server.messages) == 1


def test_received_message_parses_and_one_click_unsubscribes(
    thread, other_country_member, settings, smtp_server
):
    """Through a real SMTP server: multipart text+HTML, headers, and the header's link works."""
    make_due(other_country_member)
    Member.objects.exclude(pk=other_country_member.pk).update(digest_frequency="off")
    port = free_port()
    server = smtp_server(port)
    smtp_settings(settings, port)
    run()
    [received] = server.messages
    assert received.get_content_type() == "multipart/alternative"
    assert received.get_body(("html",)).get_content().lstrip().startswith("<!DOCTYPE html>")
    assert received["Subject"] == "Legal policy: 1 new thread"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(https?://[^>]+)>", received["List-Unsubscribe"]).group(1)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    # A mail client posts without cookies or CSRF token (RFC 8058).
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    other_country_member.refresh_from_db()
    assert other_country_member.digest_frequency == "off"


# --- unsubscribe ----------------------------------------------------------------------------


def test_unsubscribe_get_only_asks(member):
    """Opening the link (or a mail scanner fetching it) changes nothing."""
    path = reverse("unsubscribe", args=[unsubscribe.make_token(member)])
    response = Client().get(path)
    assert response.status_code == 200
    assert b"<form" in response.content
    member.refresh_from_db()
    assert member.digest_frequency == "daily"


def test_tampered_token_is_refused(member, other_country_member):
    """A token altered by one character, or signed for someone else, does nothing."""
    token = unsubscribe.make_token(member)
    _payload, rest = token.split(":", 1)
    # Another member's id in the payload, the original signature kept.
    other_payload = signing.b64_encode(
        f'{{"m":{other_country_member.pk},"l":"digest"}}'.encode()
    ).decode()
    flipped = token[:5] + ("x" if token[5] != "x" else "y") + token[6:]
    for tampered in (f"{other_payload}:{rest}", flipped, "junk"):
        response = Client(enforce_csrf_checks=True).post(reverse("unsubscribe", args=[tampered]))
        assert response.status_code == 400
    forged = signing.dumps(
        {"m": other_country_member.pk, "l": "digest"}, salt=unsubscribe.SALT, key="guessed-key"
    )
    assert Client().post(reverse("unsubscribe", args=[forged])).status_code == 400
    for someone in (member, other_country_member):
        someone.refresh_from_db()
        assert someone.digest_frequency == "daily"


def test_notifications_token_switches_off_immediate_emails(member):
    token = unsubscribe.make_token(member, "notifications")
    Client(enforce_csrf_checks=True).post(reverse("unsubscribe", args=[token]))
    member.refresh_from_db()
    assert (member.email_mentions, member.email_replies, member.digest_frequency) == (
        False,
        False,
        "daily",
    )


# --- settings page ----------------------------------------------------------------------------


def test_settings_page_saves_digest_choices(member_client, member, legal):
    """The settings page stores frequency, day, hour, language and groups left out."""
    response = member_client.post(
        reverse("notification_settings"),
        {
            "digest_frequency": "weekly",
            "digest_weekday": "4",
            "digest_hour": "18",
            "language": "fr",
            "email_mentions": "on",
            "groups": [],
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.digest_frequency, member.digest_weekday, member.digest_hour) == (
        "weekly",
        4,
        18,
    )
    assert member.language == "fr"
    assert member.digest_skip_groups == [legal.pk]
    assert (member.email_mentions, member.email_replies) == (True, False)


def test_settings_page_refuses_a_bad_hour(member_client, member):
    response = member_client.post(
        reverse("notification_settings"),
        {"digest_frequency": "daily", "digest_weekday": "0", "digest_hour": "25", "language": "en"},
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.digest_hour == 7


# --- batching ---------------------------------------------------------------------------------


def test_queries_per_batch_do_not_grow_with_the_batch(
    thread, member, other_country_member, moderator, make_member, legal, promotion
):
    """Building and sending a batch costs the same number of queries for 3 or 12 members."""
    opening = thread.posts.get()
    answer = actions.reply(author=other_country_member, parent=opening, body="An answer")
    actions.reply(author=member, parent=answer, body=f"@{moderator.handle} see")
    old = actions.create_thread(author=member, group=legal, title="Older", body="Old")
    actions.reply(author=other_country_member, parent=old.posts.get(), body="Fresh reply")
    from forum.models import Thread

    Thread.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    countries = ["ZM", "CN", "KE", "EG"]
    readers = [
        make_member(
            country=countries[n % 4],
            groups=[legal, promotion] if n % 2 else [legal],
            role=Role.MODERATOR if n % 5 == 0 else Role.MEMBER,
        )
        for n in range(15)
    ]
    make_due(*readers)
    now = timezone.now() + timedelta(seconds=1)
    pairs = [(Member.objects.get(pk=r.pk), "daily:test") for r in readers]
    counts = []
    for batch in (pairs[:3], pairs[3:15]):
        report = digests.RunReport()
        with CaptureQueriesContext(connection) as queries:
            digests.send_batch(batch, now, report, dry_run=False)
        assert report.sent == len(batch)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_command_dry_run_lists_recipients(thread, other_country_member):
    """`send_digests --dry-run` prints one line per member with the subject."""
    from io import StringIO

    from django.core.management import call_command

    make_due(other_country_member)
    out = StringIO()
    call_command("send_digests", "--dry-run", stdout=out)
    assert f"{other_country_member.email}\tLegal policy: 1 new thread" in out.getvalue()
    assert mail.outbox == []


def test_command_sends_and_reports(thread, other_country_member):
    from io import StringIO

    from django.core.management import call_command

    make_due(other_country_member)
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert "sent" in out.getvalue()
    assert len(mails_to(other_country_member)) == 1


def test_shards_split_a_run_without_overlap(thread, make_member, legal):
    """`--shard 1/2` and `--shard 2/2` together mail everyone due, each once."""
    from django.core.management import call_command

    readers = [make_member(country="ZM", groups=[legal]) for _ in range(5)]
    make_due(*readers)
    call_command("send_digests", "--shard", "1/2", stdout=StringIO())
    first = {m.to[0] for m in mail.outbox}
    assert first and len(first) < len(readers) + 2
    call_command("send_digests", "--shard", "2/2", stdout=StringIO())
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients))
    assert {r.email for r in readers} <= set(recipients)


def test_bad_shard_is_refused():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_digests", "--shard", "3/2")


# --- upcoming meetings ---------------------------------------------------------------------


def test_upcoming_meetings_appear_in_the_members_zone_only_for_their_audience(
    schedule, member, other_country_member
):
    """A new meeting in the next seven days is listed at its time in the reader's zone;
    a domestic meeting of another country is not."""
    from django.utils import translation

    schedule(title="Investment forum prep", starts_in=timedelta(days=2))
    schedule(title="Egypt-only briefing", starts_in=timedelta(days=3), audience="domestic")
    schedule(title="Too far ahead", starts_in=timedelta(days=9))
    make_due(member, other_country_member)
    Member.objects.filter(pk=member.pk).update(time_zone="Asia/Shanghai")
    run()
    [message] = mails_to(member)
    body = message.body + html_of(message)
    assert "Upcoming meetings" in message.subject
    assert "Investment forum prep" in body
    assert "Egypt-only briefing" not in body and "Too far ahead" not in body
    meeting = Meeting.objects.get(title="Investment forum prep")
    local = timezone.localtime(meeting.starts_at, ZoneInfo("Asia/Shanghai"))
    with translation.override(member.language or "en"):
        from django.utils import formats

        assert formats.date_format(local, "DATETIME_FORMAT") in message.body
    assert [m.to for m in mails_to(other_country_member)] == [[other_country_member.email]]


def test_an_already_announced_meeting_alone_sends_no_digest(schedule, member):
    """Nothing new but a meeting the member has heard of: no email."""
    schedule(title="Known meeting", starts_in=timedelta(days=2))
    Meeting.objects.update(created_at=timezone.now() - timedelta(days=3))
    make_due(member)
    Member.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=30))
    run()
    assert mails_to(member) == []


def test_a_run_over_several_processes_starts_one_shard_each(monkeypatch):
    """`send_digests --processes 3` runs three children, shards 1/3 to 3/3, and fails
    if one of them does. (The children themselves run in the benchmark: they cannot see
    the test database.)"""
    import subprocess

    from django.core.management import CommandError, call_command

    started = []

    class Child:
        def __init__(self, args):
            self.args = args
            started.append(args)

        def wait(self):
            return 1 if self.args[-1] == "2/3" else 0

    monkeypatch.setattr(subprocess, "Popen", Child)
    with pytest.raises(CommandError, match="2/3"):
        call_command("send_digests", "--processes", "3", stdout=StringIO())
    assert [args[-1] for args in started] == ["1/3", "2/3", "3/3"]
    assert all(args[2:5] == ["send_digests", "--processes", "1"] for args in started)
    assert started[0][1].endswith("manage.py")
