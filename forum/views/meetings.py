"""Meeting pages: the group's meetings, one meeting with its chat, transcript, minutes, ICS."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mfa import redirect_to_mfa_setup
from accounts.models import Member
from attachments import visibility as attachment_visibility
from attachments.forms import Uploads
from forum import calendar, events, visibility
from forum import reading as reading_selectors
from forum.actions import meetings as actions
from forum.forms import ChatForm, MeetingForm, MinutesForm
from forum.ids import parse_id
from forum.models import (
    REACTIONS,
    CalendarFeed,
    ChatMessage,
    Meeting,
    MeetingState,
    Rsvp,
    RsvpAnswer,
)
from forum.views.threads import _apply_errors

# The meeting page shows the latest messages; the transcript shows them all.
CHAT_ON_PAGE = 200
FEED_PAST_DAYS = 90
PAST_ON_PAGE = 50


def _chair_gate(request: HttpRequest, meeting: Meeting, *, mfa: bool) -> HttpResponse | None:
    """404 unless the member chairs `meeting`; moderation also needs a second factor."""
    if not visibility.can_chair_meeting(request.user, meeting):
        raise Http404("Not found.")
    return redirect_to_mfa_setup(request) if mfa else None


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    return actions.start_if_due(visibility.get_meeting_or_404(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def group_meetings(request: HttpRequest, slug: str) -> HttpResponse:
    """Upcoming and past meetings of a group; chairs and moderators schedule new ones."""
    group = visibility.get_group_or_404(request.user, slug)
    can_schedule = visibility.can_schedule_meeting(request.user, group)
    form = None
    if can_schedule:
        initial = {"time_zone": request.user.time_zone or "UTC"}
        form = MeetingForm(request.POST or None, initial=initial, group=group)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                meeting = actions.schedule_meeting(
                    organizer=request.user,
                    group=group,
                    title=data["title"],
                    agenda=data["agenda"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    time_zone=data["time_zone"],
                    format=data["format"],
                    place=data["place"],
                    link=data["link"],
                    audience=data["audience"],
                    countries=data["countries"],
                    chairs=data["chairs"],
                )
            except (ValidationError, PermissionDenied) as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("The meeting is scheduled."))
                return redirect(meeting.get_absolute_url())
    elif request.method == "POST":
        raise Http404("Not found.")
    now = timezone.now()
    meetings = visibility.visible_meetings(request.user, group)
    over = Q(state=MeetingState.ENDED) | Q(ends_at__lt=now)
    upcoming = list(meetings.exclude(over).order_by("starts_at", "pk"))
    past = list(meetings.filter(over).order_by("-starts_at", "-pk")[:PAST_ON_PAGE])
    for meeting in upcoming + past:
        meeting.current_state = meeting.state_at(now)
    return render(
        request,
        "forum/group_meetings.html",
        {"group": group, "upcoming": upcoming, "past": past, "form": form},
    )


def _prepare_chat(member: Member, chat: list[ChatMessage]) -> None:
    """Give each message what `forum/_chat_message.html` shows: its files and reactions."""
    files = attachment_visibility.files_of(member, chat)
    shown = reading_selectors.message_reactions(member, [m.pk for m in chat])
    for message in chat:
        message.files = files.get(message.pk, [])
        message.shown_reactions = shown.get(message.pk, [])


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Agenda, times in the reader's and the organizer's zone, RSVPs, and the chat."""
    meeting = _meeting(request, pk)
    now = timezone.now()
    # Read the room's position before its messages: anything newer comes by resume.
    stream_seq = events.last_seq(events.meeting_stream(meeting.pk))
    chat = list(
        ChatMessage.objects.filter(meeting=meeting, removed_at__isnull=True, seq__isnull=False)
        .select_related("author")
        .order_by("-seq")[:CHAT_ON_PAGE]
    )[::-1]
    _prepare_chat(request.user, chat)
    rsvps = list(Rsvp.objects.filter(meeting=meeting).select_related("member").order_by("answer"))
    mine = next((r.answer for r in rsvps if r.member_id == request.user.pk), None)
    is_chair = visibility.can_chair_meeting(request.user, meeting)
    return render(
        request,
        "forum/meeting.html",
        {
            "meeting": meeting,
            "group": meeting.group,
            "state": meeting.state_at(now),
            "chat_open": meeting.chat_open_at(now),
            "organizer_zone": ZoneInfo(meeting.time_zone),
            "chat": chat,
            "stream_seq": stream_seq,
            "attending": [r for r in rsvps if r.answer == RsvpAnswer.ATTENDING],
            "maybe": [r for r in rsvps if r.answer == RsvpAnswer.MAYBE],
            "my_rsvp": mine,
            "answers": RsvpAnswer.choices,
            "is_chair": is_chair,
            "chairs": list(meeting.chairs.all()),
            "chat_form": ChatForm(initial={"client_id": uuid.uuid4()}),
            "reaction_choices": REACTIONS,
        },
    )


@login_required
@require_GET
def chat_fragment(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """One chat message as the meeting page shows it to this member, files included: the
    live script inserts this, so a message that arrives looks exactly like one that was there."""
    meeting = visibility.get_meeting_or_404(request.user, pk)
    message = (
        visibility.readable_chat_messages(request.user)
        .filter(meeting=meeting, pk=message_id, seq__isnull=False)
        .select_related("author")
        .first()
    )
    if message is None:
        raise Http404("No such message.")
    _prepare_chat(request.user, [message])
    html = render_to_string(
        "forum/_chat_message.html",
        {
            "m": message,
            "meeting": meeting,
            "is_chair": visibility.can_chair_meeting(request.user, meeting),
        },
        request=request,
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Chairs change a meeting's details; times are shown in the meeting's zone."""
    meeting = _meeting(request, pk)
    if (response := _chair_gate(request, meeting, mfa=False)) is not None:
        return response
    zone = ZoneInfo(meeting.time_zone)
    initial = {
        "title": meeting.title,
        "agenda": meeting.agenda,
        "starts_at": meeting.starts_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": meeting.ends_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "time_zone": meeting.time_zone,
        "format": meeting.format,
        "place": meeting.place,
        "link": meeting.link,
        "audience": meeting.audience,
        "countries": list(meeting.countries.values_list("country", flat=True)),
        "chairs": list(meeting.chairs.all()),
    }
    form = MeetingForm(request.POST or None, initial=initial, group=meeting.group)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.edit_meeting(
                member=request.user,
                meeting=meeting,
                chairs=data["chairs"],
                time_zone=data["time_zone"],
                **{
                    name: data[name]
                    for name in (
                        "title",
                        "agenda",
                        "starts_at",
                        "ends_at",
                        "format",
                        "place",
                        "link",
                        "audience",
                        "countries",
                    )
                },
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The meeting is updated."))
            return redirect(meeting.get_absolute_url())
    return render(
        request,
        "forum/meeting_edit.html",
        {"meeting": meeting, "group": meeting.group, "form": form},
    )


@login_required
@require_POST
def meeting_rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    try:
        actions.rsvp(member=request.user, meeting=meeting, answer=request.POST.get("answer", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(meeting.get_absolute_url())


@login_required
@require_POST
def meeting_chat(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a chat message over HTTP (the page without JavaScript)."""
    meeting = _meeting(request, pk)
    form = ChatForm(request.POST)
    uploads = Uploads(request)
    if not uploads.is_valid():
        messages.error(request, " ".join(uploads.errors))
    elif form.is_valid():
        try:
            uploads.save_with(
                lambda: actions.send_chat(
                    author=request.user,
                    meeting=meeting,
                    client_id=form.cleaned_data["client_id"],
                    body=form.cleaned_data["body"],
                    with_files=bool(uploads.pending),
                ),
                owner_of=lambda sent: sent[0],
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(
                request,
                " ".join(getattr(error, "messages", [str(error)])),
            )
    else:
        messages.error(request, _("The message was empty or too long."))
    return redirect(meeting.get_absolute_url() + "#chat")


@login_required
@require_POST
def meeting_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """Chairs start and end the meeting and open, close or slow down its chat."""
    meeting = _meeting(request, pk)
    action = request.POST.get("action", "")
    moderation = action in ("close_chat", "reopen_chat", "slow_mode")
    if (response := _chair_gate(request, meeting, mfa=moderation)) is not None:
        return response
    try:
        if action == "start":
            actions.start_meeting(member=request.user, meeting=meeting)
        elif action == "end":
            actions.end_meeting(member=request.user, meeting=meeting)
        elif action == "open_chat":
            actions.open_chat_early(member=request.user, meeting=meeting)
        elif action == "close_chat":
            actions.close_chat(member=request.user, meeting=meeting)
        elif action == "reopen_chat":
            actions.close_chat(member=request.user, meeting=meeting, closed=False)
        elif action == "slow_mode":
            try:
                seconds = int(request.POST.get("seconds", "0"))
            except ValueError:
                raise ValidationError(_("Slow mode takes a number of seconds.")) from None
            actions.set_slow_mode(member=request.user, meeting=meeting, seconds=seconds)
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(meeting.get_absolute_url())


@login_required
@require_POST
def chat_remove(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if (response := _chair_gate(request, meeting, mfa=True)) is not None:
        return response
    message = ChatMessage.objects.filter(meeting=meeting, pk=message_id).first()
    if message is None:
        raise Http404("No such message.")
    try:
        actions.remove_chat_message(
            member=request.user, message=message, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(meeting.get_absolute_url() + "#chat")


@login_required
@require_POST
def chat_mute(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if (response := _chair_gate(request, meeting, mfa=True)) is not None:
        return response
    participant = (
        visibility.visible_members(request.user)
        .filter(pk=parse_id(request.POST.get("member")))
        .first()
    )
    if participant is None:
        raise Http404("No such member.")
    try:
        actions.mute_participant(
            member=request.user,
            meeting=meeting,
            participant=participant,
            muted=request.POST.get("muted", "1") == "1",
        )
    except Member.DoesNotExist:
        raise Http404("No such member.") from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(meeting.get_absolute_url() + "#chat")


def _transcript(meeting: Meeting):
    return (
        ChatMessage.objects.filter(meeting=meeting, seq__isnull=False)
        .select_related("author")
        .order_by("seq")
    )


@login_required
def transcript(request: HttpRequest, pk: int, export: str | None = None) -> HttpResponse:
    """Every message with times in the reader's zone; `.md` and `.json` exports."""
    if export not in (None, "md", "json"):
        raise Http404("No such export.")
    meeting = _meeting(request, pk)
    chat = list(_transcript(meeting))
    if export == "json":
        data = {
            "meeting": {
                "id": meeting.pk,
                "title": meeting.title,
                "group": meeting.group.slug,
                "starts_at": meeting.starts_at.isoformat(),
                "ends_at": meeting.ends_at.isoformat(),
                "url": request.build_absolute_uri(meeting.get_absolute_url()),
            },
            "messages": [
                {
                    "seq": m.seq,
                    "id": m.pk,
                    "author": events._member(m.author),
                    "created_at": m.created_at.isoformat(),
                    "removed": m.removed_at is not None,
                    "body": "" if m.removed_at else m.body,
                    "html": "" if m.removed_at else m.html,
                }
                for m in chat
            ],
        }
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=1), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.json"'
        return response
    if export == "md":
        zone = timezone.get_current_timezone()
        lines = [f"# {meeting.title}", ""]
        lines.append(
            f"{timezone.localtime(meeting.starts_at, zone):%Y-%m-%d %H:%M} – "
            f"{timezone.localtime(meeting.ends_at, zone):%Y-%m-%d %H:%M} ({zone.key})"
        )
        lines.append("")
        for m in chat:
            when = timezone.localtime(m.created_at, zone)
            text = _("(removed by a chair)") if m.removed_at else m.body
            lines += [
                f"**{m.author.display_name}** ({m.author.country.code}), {when:%Y-%m-%d %H:%M}:",
                "",
                text,
                "",
            ]
        response = HttpResponse("\n".join(lines), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.md"'
        return response
    return render(
        request,
        "forum/meeting_transcript.html",
        {"meeting": meeting, "group": meeting.group, "chat": chat},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """Chairs write the minutes and may publish them as a thread in the group."""
    meeting = _meeting(request, pk)
    if (response := _chair_gate(request, meeting, mfa=False)) is not None:
        return response
    form = MinutesForm(request.POST or None, initial={"minutes": meeting.minutes})
    if request.method == "POST" and form.is_valid():
        try:
            actions.write_minutes(
                member=request.user, meeting=meeting, minutes=form.cleaned_data["minutes"]
            )
            if request.POST.get("publish"):
                thread = actions.publish_minutes(member=request.user, meeting=meeting)
                messages.success(request, _("The minutes are published."))
                return redirect(thread.get_absolute_url())
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The minutes are saved."))
            return redirect(meeting.get_absolute_url())
    return render(
        request,
        "forum/meeting_minutes.html",
        {"meeting": meeting, "group": meeting.group, "form": form},
    )


def _ics(request: HttpRequest, meetings, *, name: str, filename: str) -> HttpResponse:
    body = calendar.calendar(
        meetings,
        base_url=f"{request.scheme}://{request.get_host()}",
        host=request.get_host().split(":")[0],
        name=name,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting as an iCalendar event."""
    meeting = visibility.get_meeting_or_404(request.user, pk)
    return _ics(request, [meeting], name=meeting.title, filename=f"meeting-{meeting.pk}.ics")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A member's private feed: meetings of all their groups that they may see."""
    feed = (
        CalendarFeed.objects.filter(token=token, member__is_active=True)
        .select_related("member")
        .first()
        if 20 <= len(token) <= 64
        else None
    )
    if feed is None:
        raise Http404("No such calendar.")
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    meetings = visibility.visible_meetings(feed.member).filter(ends_at__gte=since)[:500]
    return _ics(request, meetings, name=_("Working-group meetings"), filename="meetings.ics")


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Show the member's private feed URL; a new one revokes the old."""
    if request.method == "POST":
        actions.regenerate_feed_token(member=request.user)
        messages.success(request, _("Your calendar link has changed; the old one stopped working."))
        return redirect("calendar_settings")
    feed = actions.calendar_feed(member=request.user)
    url = request.build_absolute_uri(f"/calendar/{feed.token}.ics")
    return render(request, "forum/calendar_settings.html", {"feed_url": url})
