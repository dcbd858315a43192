"""Scheduling meetings, RSVPs, the live chat room, its moderation, and the minutes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Member
from forum import events, limits, rendering, visibility
from forum.actions import audit, notifications
from forum.actions.threads import _clean_countries, create_thread
from forum.models import (
    Audience,
    AuditAction,
    CalendarFeed,
    ChatMessage,
    ChatMute,
    Event,
    Meeting,
    MeetingCountry,
    MeetingFormat,
    MeetingState,
    Rsvp,
    RsvpAnswer,
    Thread,
    WorkingGroup,
)
from forum.models.meetings import new_feed_token
from search import index as search_index
from webhooks.actions import deliveries as webhook_deliveries

# Client ids are UUIDs in practice; anything printable and short is accepted.
_CLIENT_ID = re.compile(r"[-A-Za-z0-9_.:]{1,64}")
SLOW_MODE_MAX = 600
MEETING_LENGTH_MAX = timedelta(days=14)


class ChatRefused(ValidationError):
    """The chat does not take this message now (closed, muted, slow mode, rate)."""


def _emit(meeting: Meeting, type_: str, payload: dict) -> Event:
    return events.record(
        stream_key=events.meeting_stream(meeting.pk),
        type_=type_,
        payload=payload,
        audience=visibility.meeting_event_audience(meeting),
    )


def _check_chair(member: Member, meeting: Meeting) -> None:
    if not visibility.can_chair_meeting(member, meeting):
        raise PermissionDenied(_("Only the meeting's chairs can do that."))


def _clean_fields(
    *,
    member: Member,
    group: WorkingGroup,
    title: str,
    agenda: str,
    starts_at: datetime,
    ends_at: datetime,
    format: str,
    place: str,
    link: str,
    audience: str,
    countries: Iterable[str],
) -> tuple[dict, list[str]]:
    title = limits.check_title(title)
    for text in (agenda, place, link):
        limits.check_characters(text)
    agenda = agenda.replace("\r\n", "\n").strip()
    if len(agenda) > limits.BODY_MAX:
        raise ValidationError(
            _("An agenda can be at most %(max)d characters long.") % {"max": limits.BODY_MAX}
        )
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationError(_("Give the times with their time zone."))
    if ends_at <= starts_at:
        raise ValidationError(_("A meeting must end after it starts."))
    if ends_at - starts_at > MEETING_LENGTH_MAX:
        raise ValidationError(_("A meeting can last at most 14 days."))
    if format not in MeetingFormat.values:
        raise ValidationError(_("Unknown meeting format."))
    if format != MeetingFormat.ONLINE and not place.strip():
        raise ValidationError(_("Say where the meeting takes place."))
    if format != MeetingFormat.IN_PERSON and not link.strip():
        raise ValidationError(_("Give the link for joining online."))
    if audience == Audience.DOMESTIC:
        audience_countries = [member.country.code]
    elif audience == Audience.COUNTRIES:
        audience_countries = _clean_countries(countries)
        if not audience_countries:
            raise ValidationError(_("Choose at least one country for the audience."))
        audience_countries = sorted(set(audience_countries) | {member.country.code})
    elif audience == Audience.GROUP:
        audience_countries = []
    else:
        raise ValidationError(_("Unknown audience."))
    fields = {
        "title": title,
        "agenda": agenda,
        "agenda_html": rendering.render_markdown(agenda) if agenda else "",
        "starts_at": starts_at.astimezone(timezone.UTC),
        "ends_at": ends_at.astimezone(timezone.UTC),
        "format": format,
        "place": place.strip()[:200],
        "link": link.strip()[:500],
        "audience": audience,
    }
    return fields, audience_countries


def schedule_meeting(
    *,
    organizer: Member,
    group: WorkingGroup,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    agenda: str = "",
    format: str = MeetingFormat.ONLINE,
    place: str = "",
    link: str = "",
    audience: str = Audience.GROUP,
    countries: Iterable[str] = (),
    chairs: Iterable[Member] = (),
    time_zone: str | None = None,
) -> Meeting:
    """Schedule a meeting of `group`; times are aware datetimes, stored in UTC."""
    if not visibility.can_schedule_meeting(organizer, group):
        raise PermissionDenied(_("Only the group's chairs and moderators schedule meetings."))
    fields, audience_countries = _clean_fields(
        member=organizer,
        group=group,
        title=title,
        agenda=agenda,
        starts_at=starts_at,
        ends_at=ends_at,
        format=format,
        place=place,
        link=link,
        audience=audience,
        countries=countries,
    )
    chairs = _check_chairs(group, chairs)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            group=group,
            organizer=organizer,
            time_zone=time_zone or organizer.time_zone or "UTC",
            **fields,
        )
        MeetingCountry.objects.bulk_create(
            [MeetingCountry(meeting=meeting, country=code) for code in audience_countries]
        )
        if chairs:
            meeting.chairs.set(chairs)
        notifications.invite_to_meeting(meeting)
        webhook_deliveries.meeting_scheduled(meeting)
    return meeting


def edit_meeting(
    *,
    member: Member,
    meeting: Meeting,
    chairs: Iterable[Member] | None = None,
    time_zone: str | None = None,
    **changes,
) -> Meeting:
    """Change a meeting's title, agenda, times, format, place, link, audience or chairs."""
    _check_chair(member, meeting)
    if meeting.state == MeetingState.ENDED:
        raise ValidationError(_("This meeting has ended."))
    current = {
        "title": meeting.title,
        "agenda": meeting.agenda,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "format": meeting.format,
        "place": meeting.place,
        "link": meeting.link,
        "audience": meeting.audience,
        "countries": list(meeting.countries.values_list("country", flat=True)),
    }
    unknown = set(changes) - set(current)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    current.update(changes)
    # "Domestic" stays the organizer's country, whoever edits.
    fields, audience_countries = _clean_fields(
        member=meeting.organizer, group=meeting.group, **current
    )
    if time_zone:
        fields["time_zone"] = time_zone
    chairs = _check_chairs(meeting.group, chairs) if chairs is not None else None
    with transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(**fields)
        MeetingCountry.objects.filter(meeting=meeting).delete()
        MeetingCountry.objects.bulk_create(
            [MeetingCountry(meeting=meeting, country=code) for code in audience_countries]
        )
        if chairs is not None:
            meeting.chairs.set(chairs)
        meeting.refresh_from_db()
        _emit(meeting, events.MEETING_CHAT, events.meeting_state_payload(meeting))
        webhook_deliveries.meeting_scheduled(meeting)
    return meeting


def _check_chairs(group: WorkingGroup, chairs: Iterable[Member]) -> list[Member]:
    chairs = list(chairs)
    if any(visibility.role_in(c, group) is None and not c.is_staff for c in chairs):
        raise ValidationError(_("Chairs must be members of the working group."))
    return chairs


def _set_state(meeting: Meeting, state: str, type_: str) -> Meeting:
    now = timezone.now()
    locked = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    locked.state = state
    update = ["state"]
    if state == MeetingState.LIVE:
        locked.started_at = now
        update.append("started_at")
    else:
        locked.ended_at = now
        update.append("ended_at")
    locked.save(update_fields=update)
    _emit(locked, type_, events.meeting_state_payload(locked, now))
    return locked


def start_meeting(*, member: Member, meeting: Meeting) -> Meeting:
    """Start a scheduled meeting now: its chat opens."""
    _check_chair(member, meeting)
    with transaction.atomic():
        current = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if current.state != MeetingState.SCHEDULED:
            raise ValidationError(_("Only a scheduled meeting can start."))
        return _set_state(meeting, MeetingState.LIVE, events.MEETING_STARTED)


def start_if_due(meeting: Meeting) -> Meeting:
    """Mark a scheduled meeting whose start has passed as live (it starts on its own).

    Pages and sockets call this when they see such a meeting, and so does the
    `start_due_meetings` command; every reader already treats it as live.
    """
    now = timezone.now()
    if meeting.state != MeetingState.SCHEDULED or meeting.starts_at > now:
        return meeting
    with transaction.atomic():
        current = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if current.state != MeetingState.SCHEDULED:
            return current
        return _set_state(meeting, MeetingState.LIVE, events.MEETING_STARTED)


def start_due_meetings() -> int:
    """Start every scheduled meeting whose time has come; return how many."""
    due = Meeting.objects.filter(state=MeetingState.SCHEDULED, starts_at__lte=timezone.now())
    return sum(1 for meeting in due if start_if_due(meeting).state == MeetingState.LIVE)


def end_meeting(*, member: Member, meeting: Meeting) -> Meeting:
    """End a meeting: the chat closes and the transcript is final."""
    _check_chair(member, meeting)
    with transaction.atomic():
        current = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if current.state == MeetingState.ENDED:
            raise ValidationError(_("This meeting has already ended."))
        return _set_state(meeting, MeetingState.ENDED, events.MEETING_ENDED)


def _chat_setting(member: Member, meeting: Meeting, **fields) -> Meeting:
    _check_chair(member, meeting)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        _emit(locked, events.MEETING_CHAT, events.meeting_state_payload(locked))
    return locked


def open_chat_early(*, member: Member, meeting: Meeting) -> Meeting:
    """Open the chat of a meeting that has not started yet."""
    if meeting.state == MeetingState.ENDED:
        raise ValidationError(_("This meeting has ended."))
    return _chat_setting(member, meeting, chat_opened_early=True, chat_closed=False)


def close_chat(*, member: Member, meeting: Meeting, closed: bool = True) -> Meeting:
    """Close (or reopen) the chat while the meeting goes on."""
    return _chat_setting(member, meeting, chat_closed=closed)


def set_slow_mode(*, member: Member, meeting: Meeting, seconds: int) -> Meeting:
    """Let each participant send at most one message every `seconds` (0 turns it off)."""
    if not 0 <= seconds <= SLOW_MODE_MAX:
        raise ValidationError(_("Slow mode takes 0 to %(max)d seconds.") % {"max": SLOW_MODE_MAX})
    return _chat_setting(member, meeting, slow_mode_seconds=seconds)


def rsvp(*, member: Member, meeting: Meeting, answer: str) -> Rsvp:
    """Say whether `member` attends: yes, maybe or no."""
    if not visibility.can_view_meeting(member, meeting):
        raise PermissionDenied(_("You cannot answer for this meeting."))
    if answer not in RsvpAnswer.values:
        raise ValidationError(_("Answer attending, maybe or not attending."))
    if meeting.state == MeetingState.ENDED:
        raise ValidationError(_("This meeting has ended."))
    answer_row, _created = Rsvp.objects.update_or_create(
        meeting=meeting, member=member, defaults={"answer": answer, "answered_at": timezone.now()}
    )
    return answer_row


# --- the chat room -------------------------------------------------------------------


def send_chat(
    *, author: Member, meeting: Meeting, client_id: str, body: str, with_files: bool = False
) -> tuple[ChatMessage, bool]:
    """Store a chat message with the room's next seq; return (message, created).

    `with_files`: files will be attached in the same transaction (the form's uploads);
    the event says so, and readers' pages fetch the message as the server renders it.

    A resend with the same `client_id` returns the stored message (created False),
    even when identical sends race: the database keeps one.
    """
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise ValidationError(_("A chat message needs a client_id."), code="bad_client_id")
    existing = _sent(meeting, author, client_id)
    if existing is not None:
        return existing, False
    if not visibility.can_view_meeting(author, meeting):
        raise PermissionDenied(_("You are not in this meeting's audience."))
    body = limits.check_chat_body(body)
    html = rendering.render_markdown(body)
    meeting = start_if_due(meeting)
    try:
        with transaction.atomic():
            # One sender at a time per room: the seq order is the commit order, and a
            # racing resend of the same client_id finds the first one stored.
            room = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
            existing = _sent(room, author, client_id)
            if existing is not None:
                return existing, False
            _check_chat_open(author, room)
            message = ChatMessage.objects.create(
                meeting=room, author=author, client_id=client_id, body=body, html=html
            )
            event = _emit(
                room, events.CHAT_MESSAGE, events.chat_payload(message, with_files=with_files)
            )
            message.seq = event.seq
            message.save(update_fields=["seq"])
            search_index.index_chat_message(message, new=True)
    except IntegrityError:
        # Another send with this client_id committed first: that one is the message.
        existing = _sent(meeting, author, client_id)
        if existing is None:
            raise
        return existing, False
    return message, True


def _sent(meeting: Meeting, author: Member, client_id: str) -> ChatMessage | None:
    return (
        ChatMessage.objects.filter(meeting=meeting, author=author, client_id=client_id)
        .select_related("author")
        .first()
    )


def _check_chat_open(author: Member, room: Meeting) -> None:
    now = timezone.now()
    if not room.chat_open_at(now):
        raise ChatRefused(_("The chat is closed."), code="chat_closed")
    if ChatMute.objects.filter(meeting=room, member=author).exists():
        raise ChatRefused(_("A chair has muted you in this meeting."), code="muted")
    mine = ChatMessage.objects.filter(meeting=room, author=author)
    window = now - timedelta(seconds=limits.CHAT_WINDOW_SECONDS)
    if mine.filter(created_at__gt=window).count() >= limits.CHAT_PER_WINDOW:
        raise ChatRefused(
            _("You are sending too quickly. Please wait a few seconds."), code="rate_limited"
        )
    if room.slow_mode_seconds and not visibility.can_chair_meeting(author, room):
        since = now - timedelta(seconds=room.slow_mode_seconds)
        if mine.filter(created_at__gt=since).exists():
            raise ChatRefused(
                ngettext(
                    "Slow mode: one message every %(n)d second.",
                    "Slow mode: one message every %(n)d seconds.",
                    room.slow_mode_seconds,
                )
                % {"n": room.slow_mode_seconds},
                code="slow_mode",
            )


def remove_chat_message(*, member: Member, message: ChatMessage, reason: str) -> ChatMessage:
    """Hide a chat message from every client and replay; the text stays for the record."""
    meeting = message.meeting
    _check_chair(member, meeting)
    reason = limits.check_note(reason)
    if not reason:
        raise ValidationError(_("Give a reason for removing the message."))
    with transaction.atomic():
        locked = ChatMessage.objects.select_for_update().get(pk=message.pk)
        if locked.removed_at is not None:
            return locked
        locked.removed_at, locked.removed_by, locked.removal_reason = (
            timezone.now(),
            member,
            reason,
        )
        locked.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        search_index.index_chat_message(locked)
        audit.record(
            actor=member,
            group=meeting.group,
            action=AuditAction.CHAT_REMOVE,
            member=locked.author,
            reason=reason,
            details={"meeting": meeting.pk, "message": locked.pk, "seq": locked.seq},
        )
        # The text leaves the event log too, so no replay can bring it back.
        for event in Event.objects.filter(
            stream__key=events.meeting_stream(meeting.pk), seq=locked.seq
        ):
            event.payload = {**event.payload, "html": "", "removed": True}
            event.save(update_fields=["payload"])
        _emit(meeting, events.CHAT_REMOVED, {"id": locked.pk, "message_seq": locked.seq})
    return locked


def mute_participant(
    *, member: Member, meeting: Meeting, participant: Member, muted: bool = True
) -> None:
    """Stop (or allow again) `participant` sending in this meeting's chat.

    Someone outside the meeting's audience is not a participant: Member.DoesNotExist,
    as for a member who does not exist.
    """
    _check_chair(member, meeting)
    if not visibility.can_view_meeting(participant, meeting):
        raise Member.DoesNotExist("No such participant.")
    if muted and visibility.can_chair_meeting(participant, meeting):
        raise ValidationError(_("A chair cannot be muted."))
    with transaction.atomic():
        if muted:
            _mute, created = ChatMute.objects.get_or_create(
                meeting=meeting, member=participant, defaults={"muted_by": member}
            )
        else:
            created = bool(ChatMute.objects.filter(meeting=meeting, member=participant).delete()[0])
        if created:
            audit.record(
                actor=member,
                group=meeting.group,
                action=AuditAction.CHAT_MUTE if muted else AuditAction.CHAT_UNMUTE,
                member=participant,
                details={"meeting": meeting.pk},
            )
            _emit(meeting, events.CHAT_MUTED, {"member": participant.pk, "muted": muted})


# --- after the meeting ---------------------------------------------------------------


def write_minutes(*, member: Member, meeting: Meeting, minutes: str) -> Meeting:
    """Save the meeting's minutes (Markdown)."""
    _check_chair(member, meeting)
    minutes = limits.check_characters(minutes).replace("\r\n", "\n").strip()
    if len(minutes) > limits.MINUTES_MAX:
        raise ValidationError(
            _("Minutes can be at most %(max)d characters long.") % {"max": limits.MINUTES_MAX}
        )
    html = rendering.render_markdown(minutes) if minutes else ""
    Meeting.objects.filter(pk=meeting.pk).update(minutes=minutes, minutes_html=html)
    meeting.minutes, meeting.minutes_html = minutes, html
    return meeting


def publish_minutes(*, member: Member, meeting: Meeting) -> Thread:
    """Publish the minutes as a thread in the group, for the meeting's audience."""
    _check_chair(member, meeting)
    if not meeting.minutes:
        raise ValidationError(_("Write the minutes before publishing them."))
    if meeting.minutes_thread_id:
        raise ValidationError(_("The minutes are already published."))
    title = _("Minutes: %(title)s") % {"title": meeting.title}
    with transaction.atomic():
        thread = create_thread(
            author=member,
            group=meeting.group,
            title=title[: limits.TITLE_MAX],
            body=meeting.minutes,
            audience=meeting.audience,
            countries=list(meeting.countries.values_list("country", flat=True)),
        )
        Meeting.objects.filter(pk=meeting.pk).update(minutes_thread=thread)
        meeting.minutes_thread = thread
        webhook_deliveries.minutes_published(meeting=meeting, thread=thread)
    return thread


# --- calendar feeds ------------------------------------------------------------------


def calendar_feed(*, member: Member) -> CalendarFeed:
    """Return the member's calendar feed, creating its secret token on first use."""
    return CalendarFeed.objects.get_or_create(member=member)[0]


def regenerate_feed_token(*, member: Member) -> CalendarFeed:
    """Replace the feed's token: the old URL stops working at once."""
    feed = calendar_feed(member=member)
    feed.token = new_feed_token()
    feed.save(update_fields=["token"])
    return feed
