"""Pages of direct messages. Thin: ask conversations.visibility, call actions, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attachments import visibility as attachment_visibility
from attachments.forms import Uploads
from conversations import visibility as rules
from conversations.actions import messages as actions
from conversations.actions import safety
from conversations.forms import EditForm, MessageForm, NewConversationForm, ReportForm
from conversations.models import (
    Block,
    Conversation,
    DirectMessage,
    MailPreference,
    Participant,
)
from forum import inbox, visibility
from forum.ids import parse_id

CONVERSATIONS_PER_PAGE = 30
MESSAGES_PER_PAGE = 50


def _members_of(conversation_ids: list[int]) -> dict[int, list]:
    by_conversation: dict[int, list] = {}
    for seat in (
        Participant.objects.filter(conversation__in=conversation_ids, left_at__isnull=True)
        .select_related("member")
        .order_by("member__display_name", "member__pk")
    ):
        by_conversation.setdefault(seat.conversation_id, []).append(seat)
    return by_conversation


@login_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    """The member's conversations: unread first, then the most recent."""
    inbox_seq = inbox.position(request.user.pk)
    page = Paginator(rules.conversations_for(request.user), CONVERSATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    ids = [c.pk for c in page.object_list]
    seats = _members_of(ids)
    last = {
        m.conversation_id: m
        for m in DirectMessage.objects.filter(
            conversation__in=ids, seq=F("conversation__last_seq")
        ).select_related("author")
    }
    rows = [
        {
            "conversation": c,
            "others": [s.member for s in seats.get(c.pk, []) if s.member_id != request.user.pk],
            "last": last.get(c.pk),
        }
        for c in page.object_list
    ]
    preference = MailPreference.objects.filter(member=request.user).first()
    return render(
        request,
        "conversations/list.html",
        {
            "page": page,
            "rows": rows,
            "enabled": rules.enabled(),
            "email_immediate": preference.immediate if preference else True,
            "inbox_seq": inbox_seq,
            "messages_unread": rules.unread_count(request.user),
        },
    )


def _existing_pair(member, other) -> Conversation | None:
    """The two-member conversation `member` already has with `other`, if any."""
    return (
        rules.conversations_for(member)
        .filter(is_group=False, participants__member=other, participants__left_at__isnull=True)
        .first()
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_conversation(request: HttpRequest) -> HttpResponse:
    """Start a conversation (or continue the one already held with a single member)."""
    uploads = Uploads(request, kind="conversations.DirectMessage")
    if request.method == "GET":
        handle = request.GET.get("to", "")
        if handle:
            other = rules.messageable_members(request.user).filter(handle=handle).first()
            pair = _existing_pair(request.user, other) if other else None
            if pair is not None:
                return redirect(pair.get_absolute_url())
        form = NewConversationForm(initial={"to": handle})
        return render(request, "conversations/new.html", {"form": form, "uploads": uploads})
    form = NewConversationForm(request.POST)
    form_ok = form.is_valid()  # then the refused files' reasons go on it too
    if uploads.is_valid(form) and form_ok:
        handles = form.handles()
        found = {
            m.handle.lower(): m
            for m in rules.messageable_members(request.user).filter(handle__in=handles)
        }
        unknown = [h for h in handles if h.lower() not in found]
        if unknown:
            # The same words for a missing member and one the sender may not see.
            form.add_error("to", _("No such member: %(handles)s") % {"handles": ", ".join(unknown)})
        else:
            recipients = list(found.values())
            try:
                if len(recipients) == 1 and (pair := _existing_pair(request.user, recipients[0])):
                    uploads.save_with(
                        lambda: actions.send_message(
                            author=request.user,
                            conversation=pair,
                            body=form.cleaned_data["body"],
                            client_id=form.cleaned_data["client_id"],
                        ),
                        owner_of=lambda sent: sent[0],
                    )
                    return redirect(pair.get_absolute_url())
                conversation, _message = uploads.save_with(
                    lambda: actions.start_conversation(
                        author=request.user,
                        recipients=recipients,
                        body=form.cleaned_data["body"],
                        client_id=form.cleaned_data["client_id"],
                    ),
                    owner_of=lambda started: started[1],
                )
                return redirect(conversation.get_absolute_url())
            except Http404:
                form.add_error(
                    "to", _("No such member: %(handles)s") % {"handles": ", ".join(handles)}
                )
            except ValidationError as error:
                form.add_error(None, error)
    return render(request, "conversations/new.html", {"form": form, "uploads": uploads}, status=400)


def _page_context(
    request: HttpRequest, conversation: Conversation, form: MessageForm, uploads: Uploads
) -> dict:
    # Read before the messages: the live client resumes from here, so nothing falls between.
    inbox_seq = inbox.position(request.user.pk)
    shown = rules.visible_messages(request.user, conversation)
    before = request.GET.get("before")
    if before is not None:
        shown = shown.filter(seq__lt=parse_id(before))
    newest_first = list(shown.order_by("-seq")[: MESSAGES_PER_PAGE + 1])
    older = len(newest_first) > MESSAGES_PER_PAGE
    page = list(reversed(newest_first[:MESSAGES_PER_PAGE]))
    seats = list(rules.participants_of(conversation))
    me = next(s for s in seats if s.member_id == request.user.pk)
    others = [s for s in seats if s.member_id != request.user.pk]
    blocked = set(
        Block.objects.filter(
            blocker=request.user, blocked__in=[s.member_id for s in others]
        ).values_list("blocked", flat=True)
    )
    last_mine = max((m.seq for m in page if m.author_id == request.user.pk), default=0)
    files = attachment_visibility.files_of(request.user, page)
    return {
        "conversation": conversation,
        "inbox_seq": inbox_seq,
        # The header's badge: other pages leave it to the live script (no query each).
        "messages_unread": rules.unread_count(request.user),
        "messages_shown": [
            {
                "message": m,
                "can_edit": rules.can_edit(request.user, m),
                "can_delete": rules.can_delete(request.user, m),
                "can_report": rules.can_report(request.user, m),
                "seen_by": [s.member for s in others if m.seq == last_mine and s.read_seq >= m.seq],
                "files": files.get(m.pk, []),
            }
            for m in page
        ],
        "older_than": page[0].seq if older and page else None,
        "seat": me,
        "others": others,
        "blocked": blocked,
        "form": form,
        "uploads": uploads,
        "can_send": _can_send(request.user, conversation),
    }


def _can_send(member, conversation) -> str | None:
    """None if `member` may send here, else the reason to show."""
    try:
        rules.check_may_send(member, conversation)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One conversation, newest at the bottom; the compose form posts here."""
    conversation = rules.get_conversation_or_404(request.user, pk)
    status = 200
    uploads = Uploads(request, kind="conversations.DirectMessage")
    if request.method == "POST":
        form = MessageForm(request.POST)
        form_ok = form.is_valid()  # then the refused files' reasons go on it too
        if uploads.is_valid(form) and form_ok:
            quote = None
            if form.cleaned_data.get("quote"):
                quote = rules.get_message_or_404(request.user, form.cleaned_data["quote"])
            try:
                message, _created = uploads.save_with(
                    lambda: actions.send_message(
                        author=request.user,
                        conversation=conversation,
                        body=form.cleaned_data["body"],
                        client_id=form.cleaned_data["client_id"],
                        quote=quote,
                    ),
                    owner_of=lambda sent: sent[0],
                )
                return redirect(f"{conversation.get_absolute_url()}#m{message.seq}")
            except ValidationError as error:
                form.add_error(None, error)
        status = 400
    else:
        form = MessageForm()
        quote_id = request.GET.get("quote")
        if quote_id:
            quoted = rules.get_message_or_404(request.user, parse_id(quote_id))
            if quoted.conversation_id == conversation.pk:
                form.initial["quote"] = quoted.pk
        if request.GET.get("before") is None and conversation.unread:
            actions.mark_read(member=request.user, conversation=conversation)
    context = _page_context(request, conversation, form, uploads)
    if form.initial.get("quote") or (form.is_bound and form.data.get("quote")):
        quoted_id = form.initial.get("quote") or form.data.get("quote")
        context["quoted"] = (
            DirectMessage.objects.filter(
                pk=parse_id(str(quoted_id)), conversation=conversation, deleted_at__isnull=True
            )
            .select_related("author")
            .first()
        )
    return render(request, "conversations/conversation.html", context, status=status)


@login_required
@require_POST
def conversation_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Mute, unmute or leave a conversation."""
    conversation = rules.get_conversation_or_404(request.user, pk)
    action = request.POST.get("action")
    if action in ("mute", "unmute"):
        actions.set_muted(member=request.user, conversation=conversation, muted=action == "mute")
        return redirect(conversation.get_absolute_url())
    if action == "leave":
        try:
            actions.leave(member=request.user, conversation=conversation)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(conversation.get_absolute_url())
        messages.success(request, _("You left the conversation."))
        return redirect("conversations:list")
    return HttpResponse(_("Unknown action."), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def edit_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = rules.get_message_or_404(request.user, pk)
    if not rules.can_edit(request.user, message):
        raise Http404("No such message.")
    form = EditForm(request.POST or None, initial={"body": message.body})
    if request.method == "POST" and form.is_valid():
        try:
            actions.edit_message(
                author=request.user, message=message, body=form.cleaned_data["body"]
            )
            return redirect(f"{message.conversation.get_absolute_url()}#m{message.seq}")
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "conversations/edit.html", {"form": form, "message": message}, status=status
    )


@login_required
@require_POST
def delete_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = rules.get_message_or_404(request.user, pk)
    if not rules.can_delete(request.user, message):
        raise Http404("No such message.")
    actions.delete_message(author=request.user, message=message)
    return redirect(f"{message.conversation.get_absolute_url()}#m{message.seq}")


@login_required
@require_http_methods(["GET", "POST"])
def report_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = rules.get_message_or_404(request.user, pk)
    if not rules.can_report(request.user, message):
        raise Http404("No such message.")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            safety.report(
                reporter=request.user, message=message, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Thank you. Staff will look at this message."))
            return redirect(message.conversation.get_absolute_url())
        except ValidationError as error:
            form.add_error(None, error)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "conversations/report.html", {"form": form, "message": message}, status=status
    )


@login_required
@require_POST
def block_member(request: HttpRequest, handle: str) -> HttpResponse:
    """Block or unblock (`action`) a member the viewer may see."""
    other = visibility.get_member_or_404(request.user, handle)
    if request.POST.get("action") == "unblock":
        safety.unblock(blocker=request.user, blocked=other)
        messages.success(request, _("You unblocked %(name)s.") % {"name": other.display_name})
    else:
        try:
            safety.block(blocker=request.user, blocked=other)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("conversations:list")
        messages.success(
            request,
            _("You blocked %(name)s: they can no longer message you.")
            % {"name": other.display_name},
        )
    return redirect("conversations:list")


@login_required
@require_POST
def email_preference(request: HttpRequest) -> HttpResponse:
    """Whether to get an email about messages left unread for 15 minutes."""
    actions.set_mail_preference(
        member=request.user, immediate=request.POST.get("immediate") == "on"
    )
    messages.success(request, _("Your email setting for direct messages was saved."))
    return redirect("conversations:list")


@login_required
@require_GET
def report_queue(request: HttpRequest) -> HttpResponse:
    """Staff: the reported messages, each with only its own context."""
    queue = rules.report_queue(request.user)
    if not request.user.is_staff:
        raise Http404("No such page.")
    page = Paginator(queue, 30).get_page(request.GET.get("page"))
    return render(request, "conversations/reports.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = rules.get_report_or_404(request.user, pk)
    if request.method == "POST":
        safety.resolve_report(staff=request.user, report=report)
        messages.success(request, _("The report is marked as handled."))
        return redirect("conversations:reports")
    # The reported message's own files (staff fetch them through its report).
    files = attachment_visibility.files_of(request.user, [report.message] if report.message else [])
    return render(
        request,
        "conversations/report_detail.html",
        {"report": report, "files": files.get(report.message_id, [])},
    )
