"""Meeting pages: lists, scheduling in the organizer's zone, the meeting, RSVP, chat over
HTTP, moderation gates, transcript exports, minutes, ICS and the private feed."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from forum import calendar
from forum.actions import meetings as actions
from forum.models import AuditEntry, CalendarFeed, ChatMessage, Meeting, Rsvp, Thread
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_group_page_links_to_meetings(member_client, legal):
    html = member_client.get(f"/g/{legal.slug}/").content.decode()
    assert f'href="/g/{legal.slug}/meetings/"' in html


def test_meetings_list_shows_upcoming_and_past(member_client, schedule, chair, legal):
    upcoming = schedule(title="Next week session", starts_in=timedelta(days=7))
    ended = schedule(title="Last month session", starts_in=timedelta(days=-30))
    actions.end_meeting(member=chair, meeting=ended)
    html = member_client.get(f"/g/{legal.slug}/meetings/").content.decode()
    assert html.index(upcoming.title) < html.index("Past") < html.index(ended.title)
    assert "Schedule a meeting" not in html  # plain members do not schedule


def test_meetings_outside_the_audience_are_not_listed_or_found(
    schedule, other_country_member, legal
):
    meeting = schedule(title="Egypt only", audience="domestic")
    client = client_for(other_country_member)
    assert "Egypt only" not in client.get(f"/g/{legal.slug}/meetings/").content.decode()
    assert client.get(f"/m/{meeting.pk}/").status_code == 404
    assert client.get(f"/m/{meeting.pk}/transcript/").status_code == 404
    assert client.get(f"/m/{meeting.pk}/meeting.ics").status_code == 404


def test_outsider_gets_404_for_a_meeting(meeting, outsider):
    assert client_for(outsider).get(f"/m/{meeting.pk}/").status_code == 404


def test_chair_schedules_in_lusaka_time_and_shanghai_reader_sees_the_next_day(make_member, legal):
    """23:30 on 1 December in Lusaka is 05:30 on 2 December in Shanghai."""
    organizer = make_member(
        country="ZM", groups=[legal], role="chair", time_zone="Africa/Lusaka", mfa=True
    )
    reader = make_member(country="CN", groups=[legal], time_zone="Asia/Shanghai")
    response = client_for(organizer).post(
        f"/g/{legal.slug}/meetings/",
        {
            "title": "Late call",
            "agenda": "- item",
            "starts_at": "2026-12-01T23:30",
            "ends_at": "2026-12-02T00:30",
            "time_zone": "Africa/Lusaka",
            "format": "online",
            "link": "https://meet.example.org/late",
            "audience": "group",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/m/{meeting.pk}/"
    assert meeting.starts_at == datetime(2026, 12, 1, 21, 30, tzinfo=ZoneInfo("UTC"))
    html = client_for(reader).get(f"/m/{meeting.pk}/").content.decode()
    reader_times = re.search(r'<dd id="time-reader">(.*?)</dd>', html, re.S).group(1)
    organizer_times = re.search(r'<dd id="time-organizer">(.*?)</dd>', html, re.S).group(1)
    assert "2026-12-02T05:30:00+08:00" in reader_times
    assert "2 December 2026" in reader_times and "05:30" in reader_times
    assert "1 December 2026" in organizer_times and "23:30" in organizer_times


def test_bad_schedule_keeps_what_was_typed(chair_client, legal):
    response = chair_client.post(
        f"/g/{legal.slug}/meetings/",
        {
            "title": "Backwards",
            "starts_at": "2026-12-01T10:00",
            "ends_at": "2026-12-01T09:00",
            "time_zone": "UTC",
            "format": "online",
            "link": "https://meet.example.org/x",
            "audience": "group",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "must end after it starts" in html and 'value="Backwards"' in html
    assert not Meeting.objects.exists()


def test_rsvp_and_attendees(meeting, member, member_client):
    response = member_client.post(f"/m/{meeting.pk}/rsvp/", {"answer": "yes"})
    assert response.status_code == 302
    assert Rsvp.objects.get().answer == "yes"
    html = member_client.get(f"/m/{meeting.pk}/").content.decode()
    assert "1 attending" in html and member.display_name in html


def test_chat_over_http_is_stored_once_per_client_id(live_meeting, member_client):
    form = {"client_id": "form-1", "body": "Hello from a slow phone"}
    member_client.post(f"/m/{live_meeting.pk}/chat/", form)
    member_client.post(f"/m/{live_meeting.pk}/chat/", form)  # a double submit
    assert ChatMessage.objects.count() == 1
    html = member_client.get(f"/m/{live_meeting.pk}/").content.decode()
    assert "Hello from a slow phone" in html
    assert f'data-seq="{ChatMessage.objects.get().seq}"' in html


def test_chat_form_refused_when_closed_says_why(meeting, member_client):
    response = member_client.post(
        f"/m/{meeting.pk}/chat/", {"client_id": "c", "body": "early"}, follow=True
    )
    assert "The chat is closed." in response.content.decode()
    assert not ChatMessage.objects.exists()


def test_chair_starts_and_ends_without_mfa_but_moderates_with_it(
    meeting, chair_without_mfa, member
):
    client = client_for(chair_without_mfa)
    meeting.chairs.add(chair_without_mfa)
    assert client.post(f"/m/{meeting.pk}/manage/", {"action": "start"}).status_code == 302
    assert Meeting.objects.get().state == "live"
    response = client.post(f"/m/{meeting.pk}/manage/", {"action": "close_chat"})
    assert "/2fa/" in response["Location"]
    assert not Meeting.objects.get().chat_closed


def test_members_cannot_run_the_meeting(meeting, member_client):
    assert member_client.post(f"/m/{meeting.pk}/manage/", {"action": "start"}).status_code == 404
    assert member_client.get(f"/m/{meeting.pk}/minutes/").status_code == 404


def test_chair_removes_a_message_with_a_reason(live_meeting, member, chair_client):
    message, _ = actions.send_chat(
        author=member, meeting=live_meeting, client_id="x", body="rude words"
    )
    response = chair_client.post(
        f"/m/{live_meeting.pk}/chat/{message.pk}/remove/", {"reason": "Rude"}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.removal_reason == "Rude" and message.removed_at
    assert "rude words" not in chair_client.get(f"/m/{live_meeting.pk}/").content.decode()


def test_chair_mutes_and_sets_slow_mode(live_meeting, member, chair_client):
    chair_client.post(f"/m/{live_meeting.pk}/mute/", {"member": member.pk})
    assert live_meeting.mutes.filter(member=member).exists()
    chair_client.post(f"/m/{live_meeting.pk}/manage/", {"action": "slow_mode", "seconds": "20"})
    assert Meeting.objects.get().slow_mode_seconds == 20


def test_a_chair_cannot_mute_a_member_outside_the_meetings_audience(
    schedule, chair, other_country_member, member
):
    """Egypt's domestic meeting: Zambia's member is no participant, as if not there."""
    meeting = schedule(audience="domestic", starts_in=timedelta(minutes=-5))
    egyptian = client_for(chair)
    for muted in ("1", "0"):
        response = egyptian.post(
            f"/m/{meeting.pk}/mute/", {"member": other_country_member.pk, "muted": muted}
        )
        assert response.status_code == 404
    assert not meeting.mutes.exists()
    assert not AuditEntry.objects.filter(member=other_country_member).exists()
    # China's member, in the group too, is outside as well.
    assert egyptian.post(f"/m/{meeting.pk}/mute/", {"member": member.pk}).status_code == 404


def test_transcript_exports(live_meeting, member, other_country_member, chair, member_client):
    actions.send_chat(author=member, meeting=live_meeting, client_id="a", body="First *point*")
    removed, _ = actions.send_chat(
        author=other_country_member, meeting=live_meeting, client_id="b", body="secret"
    )
    actions.remove_chat_message(member=chair, message=removed, reason="spam")
    actions.send_chat(author=chair, meeting=live_meeting, client_id="c", body="Agreed, 同意")
    page = member_client.get(f"/m/{live_meeting.pk}/transcript/").content.decode()
    assert "First <em>point</em>" in page and "secret" not in page
    markdown = member_client.get(f"/m/{live_meeting.pk}/transcript.md")
    text = markdown.content.decode()
    assert markdown["Content-Type"].startswith("text/markdown")
    assert text.startswith("# Annual forum planning\n")
    assert f"**{member.display_name}** (CN)" in text and "First *point*" in text
    assert "Agreed, 同意" in text and "secret" not in text and "(removed by a chair)" in text
    data = json.loads(member_client.get(f"/m/{live_meeting.pk}/transcript.json").content)
    assert data["meeting"]["title"] == "Annual forum planning"
    assert [m["body"] for m in data["messages"]] == ["First *point*", "", "Agreed, 同意"]
    assert [m["removed"] for m in data["messages"]] == [False, True, False]
    assert [m["seq"] for m in data["messages"]] == sorted(m["seq"] for m in data["messages"])
    assert data["messages"][0]["author"]["handle"] == member.handle
    assert member_client.get(f"/m/{live_meeting.pk}/transcript.pdf").status_code == 404


def test_minutes_published_as_a_thread_linked_from_the_meeting(live_meeting, chair_client):
    response = chair_client.post(
        f"/m/{live_meeting.pk}/minutes/", {"minutes": "## Decided\n\n- ship it", "publish": "1"}
    )
    thread = Thread.objects.get()
    assert response["Location"] == thread.get_absolute_url()
    html = chair_client.get(f"/m/{live_meeting.pk}/").content.decode()
    assert thread.get_absolute_url() in html


# --- iCalendar: strict structural checks (RFC 5545) -----------------------------------


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode("utf-8")) <= 75, line
    logical = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def properties(lines: list[str], name: str) -> list[str]:
    return [line.split(":", 1)[1] for line in lines if line.split(":", 1)[0] == name]


def test_fold_keeps_octets_and_characters_and_unfolds_back():
    line = "SUMMARY:" + "会议" * 60 + ";x" * 30
    folded = calendar.fold(line)
    assert unfold(folded + "\r\n") == [line]


def test_text_escaping():
    assert calendar.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_meeting_ics_is_valid(schedule, member_client):
    meeting = schedule(
        title="Planning, budget; and \\ notes " + "长" * 40,
        agenda="Line one\nLine two, with comma",
        format="hybrid",
        place="Lusaka, Zambia",
    )
    response = member_client.get(f"/m/{meeting.pk}/meeting.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = unfold(response.content.decode("utf-8"))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert properties(lines, "VERSION") == ["2.0"] and properties(lines, "PRODID")
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL", "STATUS"):
        assert len(properties(lines, name)) == 1, name
    stamp = re.compile(r"\d{8}T\d{6}Z")
    for name in ("DTSTAMP", "DTSTART", "DTEND"):
        assert stamp.fullmatch(properties(lines, name)[0])
    assert properties(lines, "DTSTART")[0] == meeting.starts_at.astimezone(
        ZoneInfo("UTC")
    ).strftime("%Y%m%dT%H%M%SZ")
    assert properties(lines, "SUMMARY")[0].startswith("Planning\\, budget\\; and \\\\ notes 长")
    assert properties(lines, "DESCRIPTION")[0].startswith("Line one\\nLine two\\, with comma")
    assert properties(lines, "LOCATION") == ["Lusaka\\, Zambia"]
    assert properties(lines, "URL") == [f"http://testserver/m/{meeting.pk}/"]
    assert properties(lines, "UID") == [f"meeting-{meeting.pk}@testserver"]


def test_meeting_ics_parses_back_with_the_icalendar_package(schedule, member_client):
    """An independent RFC 5545 parser reads back what the forum wrote."""
    import icalendar

    meeting = schedule(
        title="Planning, budget; and \\ notes 长",
        agenda="Line one\nLine two, with comma",
        format="hybrid",
        place="Lusaka, Zambia",
    )
    response = member_client.get(f"/m/{meeting.pk}/meeting.ics")
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["VERSION"]) == "2.0"
    assert str(event["SUMMARY"]) == meeting.title
    assert str(event["LOCATION"]) == "Lusaka, Zambia"
    assert str(event["DESCRIPTION"]).startswith("Line one\nLine two, with comma")
    # iCalendar times have whole seconds.
    assert event.decoded("DTSTART") == meeting.starts_at.replace(microsecond=0)
    assert event.decoded("DTEND") == meeting.ends_at.replace(microsecond=0)


def test_calendar_feed_holds_visible_meetings_and_dies_with_its_token(
    schedule, other_country_member, anonymous_client
):
    schedule(title="For everyone")
    schedule(title="Egypt only", audience="domestic")
    client = client_for(other_country_member)
    page = client.get("/calendar/").content.decode()
    token = CalendarFeed.objects.get(member=other_country_member).token
    assert f"/calendar/{token}.ics" in page
    feed = anonymous_client.get(f"/calendar/{token}.ics")
    lines = unfold(feed.content.decode())
    assert properties(lines, "SUMMARY") == ["For everyone"]
    client.post("/calendar/")
    assert anonymous_client.get(f"/calendar/{token}.ics").status_code == 404
    new = CalendarFeed.objects.get(member=other_country_member).token
    assert anonymous_client.get(f"/calendar/{new}.ics").status_code == 200
    assert anonymous_client.get("/calendar/not-a-token.ics").status_code == 404


def test_feed_of_an_inactive_member_is_gone(member, anonymous_client):
    token = actions.calendar_feed(member=member).token
    member.is_active = False
    member.save()
    assert anonymous_client.get(f"/calendar/{token}.ics").status_code == 404


def test_meeting_page_renders_its_live_chat_hooks(live_meeting, member_client):
    html = member_client.get(f"/m/{live_meeting.pk}/").content.decode()
    assert f'data-meeting="{live_meeting.pk}"' in html and 'data-seq="1"' in html
    assert "forum/meeting" in html and 'name="client_id"' in html
    assert timezone.now()  # the page renders with the reader's zone active


def test_chair_edits_times_in_the_meetings_zone_and_adds_a_chair(make_member, legal, member):
    organizer = make_member(country="ZM", groups=[legal], role="chair", time_zone="Africa/Lusaka")
    start = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Africa/Lusaka"))
    meeting = actions.schedule_meeting(
        organizer=organizer,
        group=legal,
        title="Morning call",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        link="https://meet.example.org/m",
        time_zone="Africa/Lusaka",
    )
    client = client_for(organizer)
    page = client.get(f"/m/{meeting.pk}/edit/").content.decode()
    assert 'value="2026-12-01T09:00"' in page  # shown in Lusaka time, as typed
    response = client.post(
        f"/m/{meeting.pk}/edit/",
        {
            "title": "Morning call, moved",
            "starts_at": "2026-12-01T10:00",
            "ends_at": "2026-12-01T11:30",
            "time_zone": "Africa/Lusaka",
            "format": "online",
            "link": "https://meet.example.org/m",
            "audience": "group",
            "chairs": [member.pk],
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Morning call, moved"
    assert meeting.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("UTC"))
    assert list(meeting.chairs.all()) == [member]
    assert client_for(member).get(f"/m/{meeting.pk}/edit/").status_code == 200


def test_chairs_must_belong_to_the_group(schedule, outsider):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        schedule(chairs=[outsider])
