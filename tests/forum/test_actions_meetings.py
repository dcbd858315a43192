"""Meetings through their actions: scheduling across zones, states, RSVPs, chat, moderation."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from forum import events
from forum.actions import meetings as actions
from forum.models import (
    AuditEntry,
    ChatMessage,
    Event,
    Meeting,
    MeetingState,
    Rsvp,
    Thread,
)

pytestmark = pytest.mark.django_db


def room_events(meeting):
    return list(
        Event.objects.filter(stream__key=events.meeting_stream(meeting.pk))
        .order_by("seq")
        .values_list("seq", "type")
    )


def test_times_entered_in_lusaka_are_stored_in_utc(chair, legal):
    """23:30 in Lusaka is 21:30 UTC; the organizer's zone is kept for display."""
    lusaka = ZoneInfo("Africa/Lusaka")
    start = datetime(2026, 12, 1, 23, 30, tzinfo=lusaka)
    meeting = actions.schedule_meeting(
        organizer=chair,
        group=legal,
        title="Late call",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        link="https://meet.example.org/x",
        time_zone="Africa/Lusaka",
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(2026, 12, 1, 21, 30, tzinfo=timezone.UTC)
    assert meeting.time_zone == "Africa/Lusaka"
    shanghai = meeting.starts_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (shanghai.day, shanghai.hour, shanghai.minute) == (2, 5, 30)


def test_only_chairs_and_moderators_schedule(member, legal):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        actions.schedule_meeting(
            organizer=member,
            group=legal,
            title="Not mine",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            link="https://x.example",
        )
    assert not Meeting.objects.exists()


def test_meeting_must_end_after_it_starts(schedule):
    with pytest.raises(ValidationError):
        schedule(hours=0)


def test_in_person_meeting_needs_a_place(schedule):
    with pytest.raises(ValidationError):
        schedule(format="in_person", link="")
    assert schedule(format="in_person", link="", place="Lusaka").place == "Lusaka"


def test_start_and_end_are_logged_in_the_room(meeting, chair):
    actions.start_meeting(member=chair, meeting=meeting)
    actions.end_meeting(member=chair, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.ENDED
    assert meeting.started_at and meeting.ended_at
    assert room_events(meeting) == [(1, "meeting.started"), (2, "meeting.ended")]


def test_plain_member_cannot_start_a_meeting(meeting, member):
    with pytest.raises(PermissionDenied):
        actions.start_meeting(member=member, meeting=meeting)


def test_a_meeting_chair_who_is_a_plain_member_may_start_it(schedule, member):
    meeting = schedule(chairs=[member])
    actions.start_meeting(member=member, meeting=meeting)
    assert Meeting.objects.get().state == MeetingState.LIVE


def test_a_due_meeting_is_live_on_read_and_starts_when_seen(schedule, member):
    meeting = schedule(starts_in=timedelta(minutes=-5))
    assert meeting.state == MeetingState.SCHEDULED
    assert meeting.state_at(timezone.now()) == MeetingState.LIVE
    assert actions.start_due_meetings() == 1
    assert Meeting.objects.get().state == MeetingState.LIVE
    assert room_events(meeting) == [(1, "meeting.started")]


def test_rsvp_is_one_answer_per_member(meeting, member):
    actions.rsvp(member=member, meeting=meeting, answer="yes")
    actions.rsvp(member=member, meeting=meeting, answer="maybe")
    assert list(Rsvp.objects.values_list("answer", flat=True)) == ["maybe"]
    with pytest.raises(ValidationError):
        actions.rsvp(member=member, meeting=meeting, answer="perhaps")


def test_outside_the_audience_cannot_rsvp(schedule, other_country_member):
    meeting = schedule(audience="domestic")  # the chair is in Egypt
    with pytest.raises(PermissionDenied):
        actions.rsvp(member=other_country_member, meeting=meeting, answer="yes")


def send(meeting, author, body="hello", client_id=None):
    return actions.send_chat(
        author=author, meeting=meeting, client_id=client_id or str(uuid.uuid4()), body=body
    )


def test_chat_messages_get_the_rooms_seq_in_order(live_meeting, member, other_country_member):
    first, created = send(live_meeting, member, "**one**")
    second, _ = send(live_meeting, other_country_member, "two")
    assert created
    assert (first.seq, second.seq) == (2, 3)  # 1 is meeting.started
    assert first.html == "<p><strong>one</strong></p>\n"
    assert room_events(live_meeting)[1:] == [(2, "chat.message"), (3, "chat.message")]
    payload = Event.objects.get(seq=2, stream__key=live_meeting.stream_key).payload
    assert payload["author"]["id"] == member.pk and payload["id"] == first.pk


def test_a_resend_with_the_same_client_id_is_stored_once(live_meeting, member):
    first, created = send(live_meeting, member, "hi", client_id="abc-1")
    again, created_again = send(live_meeting, member, "hi", client_id="abc-1")
    assert created and not created_again
    assert again.pk == first.pk and again.seq == first.seq
    assert ChatMessage.objects.count() == 1


def test_chat_is_closed_before_the_meeting_unless_opened_early(meeting, member, chair):
    with pytest.raises(ValidationError) as refused:
        send(meeting, member)
    assert refused.value.code == "chat_closed"
    actions.open_chat_early(member=chair, meeting=meeting)
    assert send(meeting, member)[1]


def test_chat_is_closed_after_the_meeting_and_when_chairs_close_it(live_meeting, member, chair):
    actions.close_chat(member=chair, meeting=live_meeting)
    with pytest.raises(ValidationError, match="closed"):
        send(live_meeting, member)
    actions.close_chat(member=chair, meeting=live_meeting, closed=False)
    send(live_meeting, member)
    actions.end_meeting(member=chair, meeting=live_meeting)
    with pytest.raises(ValidationError, match="closed"):
        send(live_meeting, member)
    assert ChatMessage.objects.count() == 1


def test_chat_limits_length_and_rate(live_meeting, member):
    with pytest.raises(ValidationError) as too_long:
        send(live_meeting, member, "x" * 4001)
    assert too_long.value.code == "body_length"
    with pytest.raises(ValidationError):
        send(live_meeting, member, "   ")
    for n in range(5):
        send(live_meeting, member, f"m{n}")
    with pytest.raises(ValidationError) as limited:
        send(live_meeting, member, "one too many")
    assert limited.value.code == "rate_limited"
    assert ChatMessage.objects.count() == 5


def test_muted_participant_cannot_send_until_unmuted(live_meeting, member, chair):
    actions.mute_participant(member=chair, meeting=live_meeting, participant=member)
    with pytest.raises(ValidationError) as muted:
        send(live_meeting, member)
    assert muted.value.code == "muted"
    assert room_events(live_meeting)[-1][1] == "chat.muted"
    actions.mute_participant(member=chair, meeting=live_meeting, participant=member, muted=False)
    assert send(live_meeting, member)[1]
    logged = AuditEntry.objects.order_by("pk").values_list("action", "member", "actor_country")
    assert list(logged) == [
        ("chat_mute", member.pk, chair.country.code),
        ("chat_unmute", member.pk, chair.country.code),
    ]


def test_muting_someone_outside_the_meetings_audience_is_as_if_they_did_not_exist(
    schedule, chair, other_country_member
):
    from accounts.models import Member

    meeting = schedule(audience="domestic")  # the chair's Egypt only
    for muted in (True, False):
        with pytest.raises(Member.DoesNotExist):
            actions.mute_participant(
                member=chair, meeting=meeting, participant=other_country_member, muted=muted
            )
    assert not meeting.mutes.exists() and not AuditEntry.objects.exists()


def test_members_cannot_mute_or_remove(live_meeting, member, other_country_member):
    message, _ = send(live_meeting, other_country_member)
    with pytest.raises(PermissionDenied):
        actions.mute_participant(
            member=member, meeting=live_meeting, participant=other_country_member
        )
    with pytest.raises(PermissionDenied):
        actions.remove_chat_message(member=member, message=message, reason="no")


def test_slow_mode_allows_one_message_per_interval(live_meeting, member, chair):
    actions.set_slow_mode(member=chair, meeting=live_meeting, seconds=30)
    send(live_meeting, member)
    with pytest.raises(ValidationError) as slowed:
        send(live_meeting, member)
    assert slowed.value.code == "slow_mode"
    send(live_meeting, chair)
    send(live_meeting, chair)  # chairs are not slowed


def test_removing_a_message_keeps_the_reason_and_clears_the_log(live_meeting, member, moderator):
    message, _ = send(live_meeting, member, "something rude")
    actions.remove_chat_message(member=moderator, message=message, reason="Off topic")
    message.refresh_from_db()
    assert message.removed_by == moderator and message.removal_reason == "Off topic"
    assert message.body == "something rude"  # kept for the record
    logged = Event.objects.get(stream__key=live_meeting.stream_key, seq=message.seq)
    assert logged.payload["html"] == "" and logged.payload["removed"]
    last = Event.objects.filter(stream__key=live_meeting.stream_key).order_by("-seq").first()
    assert last.type == "chat.removed" and last.payload["id"] == message.pk
    entry = AuditEntry.objects.get(action="chat_remove")
    assert (entry.actor, entry.reason, entry.details["message"]) == (
        moderator,
        "Off topic",
        message.pk,
    )
    with pytest.raises(ValidationError):
        actions.remove_chat_message(member=moderator, message=message, reason=" ")


def test_minutes_publish_as_a_thread_once(live_meeting, chair):
    with pytest.raises(ValidationError):
        actions.publish_minutes(member=chair, meeting=live_meeting)
    actions.write_minutes(member=chair, meeting=live_meeting, minutes="# Decisions\n\n- one")
    thread = actions.publish_minutes(member=chair, meeting=live_meeting)
    assert Thread.objects.get() == thread
    assert thread.group == live_meeting.group
    assert thread.title == "Minutes: Annual forum planning"
    assert Meeting.objects.get().minutes_thread == thread
    with pytest.raises(ValidationError):
        actions.publish_minutes(member=chair, meeting=live_meeting)


def test_feed_token_regenerates(member):
    feed = actions.calendar_feed(member=member)
    old = feed.token
    assert actions.calendar_feed(member=member).token == old
    assert actions.regenerate_feed_token(member=member).token != old


@pytest.mark.django_db(transaction=True)
def test_ten_identical_sends_at_once_store_one_message(legal, promotion, schedule, member, chair):
    """Ten threads send the same client_id together: one row, and all get its seq."""
    meeting = actions.start_meeting(member=chair, meeting=schedule())
    barrier = threading.Barrier(10)
    results, errors = [], []

    def one_send():
        try:
            barrier.wait()
            message, _created = actions.send_chat(
                author=member, meeting=meeting, client_id="same-id", body="once"
            )
            results.append(message.seq)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=one_send) for _ in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert ChatMessage.objects.count() == 1
    assert results == [ChatMessage.objects.get().seq] * 10
    assert [t for _s, t in room_events(meeting)].count("chat.message") == 1


def test_start_due_meetings_command(schedule):
    from io import StringIO

    from django.core.management import call_command

    schedule(starts_in=timedelta(minutes=-1))
    schedule(starts_in=timedelta(hours=1))
    out = StringIO()
    call_command("start_due_meetings", stdout=out)
    assert out.getvalue().strip() == "Started 1 meetings."
    assert sorted(Meeting.objects.values_list("state", flat=True)) == ["live", "scheduled"]
