"""Reading and writing comforts: reactions, bookmarks, drafts, preview, mentions, mark
all read, and the fragments (a post, a group list's thread row) that pages insert live.
Thin: each view asks `forum.visibility`, then calls an action or a selector."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries as all_countries

from forum import limits, rendering, visibility
from forum import reading as selectors
from forum.actions import reading as actions
from forum.actions import threads as thread_actions
from forum.models import REACTIONS, Audience, ChatMessage
from forum.views import threads as thread_views

MENTION_PREFIX = re.compile(r"[\w-]{1,40}")
MENTION_RESULTS = 8


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refusal(request: HttpRequest, error: ValidationError | PermissionDenied) -> HttpResponse:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    if _wants_json(request):
        return JsonResponse({"error": text}, status=400)
    messages.error(request, text)
    return HttpResponseBadRequest(text)


@login_required
@require_POST
def mark_all_read(request: HttpRequest, slug: str) -> HttpResponse:
    """Every thread of the group the member may see, read up to its last activity."""
    group = visibility.get_group_or_404(request.user, slug)
    actions.mark_all_read(member=request.user, group=group)
    messages.success(request, _("All threads are marked as read."))
    return redirect("group", slug=group.slug)


@login_required
@require_http_methods(["GET", "POST"])
def post_react(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the emoji to choose from (the page without JavaScript). POST: add or take back
    one; scripts get the new counts as JSON."""
    post = visibility.get_post_or_404(request.user, pk)
    if request.method == "POST":
        try:
            actions.react_to_post(
                member=request.user, post=post, emoji=request.POST.get("emoji", "")
            )
        except (ValidationError, PermissionDenied) as error:
            return _refusal(request, error)
        if _wants_json(request):
            shown = selectors.reactions_and_bookmarks(request.user, [post.pk])
            return JsonResponse({"reactions": _reaction_json(shown.reactions.get(post.pk, []))})
        return redirect("post", pk=post.pk)
    if post.status != "published":
        raise Http404("No such post.")
    shown = selectors.reactions_and_bookmarks(request.user, [post.pk])
    return render(
        request,
        "forum/react.html",
        {
            "post": post,
            "thread": post.thread,
            "choices": REACTIONS,
            "reactions": shown.reactions.get(post.pk, []),
            "action": request.path,
        },
    )


def _reaction_json(reactions: list[tuple]) -> list[dict]:
    return [
        {"emoji": key, "symbol": symbol, "count": count, "names": names, "mine": mine}
        for key, symbol, count, names, mine in reactions
    ]


@login_required
@require_http_methods(["GET", "POST"])
def chat_react(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """As `post_react`, for a chat message of a meeting the member may see."""
    meeting = visibility.get_meeting_or_404(request.user, pk)
    message = (
        ChatMessage.objects.filter(
            meeting=meeting, pk=message_id, removed_at__isnull=True, seq__isnull=False
        )
        .select_related("author")
        .first()
    )
    if message is None:
        raise Http404("No such message.")
    message.meeting = meeting
    if request.method == "POST":
        try:
            actions.react_to_message(
                member=request.user, message=message, emoji=request.POST.get("emoji", "")
            )
        except (ValidationError, PermissionDenied) as error:
            return _refusal(request, error)
        if _wants_json(request):
            found = selectors.message_reactions(request.user, [message.pk])
            return JsonResponse({"reactions": _reaction_json(found.get(message.pk, []))})
        return redirect(f"{meeting.get_absolute_url()}#m{message.pk}")
    found = selectors.message_reactions(request.user, [message.pk])
    return render(
        request,
        "forum/react.html",
        {
            "message": message,
            "meeting": meeting,
            "choices": REACTIONS,
            "reactions": found.get(message.pk, []),
            "action": request.path,
        },
    )


class BookmarkForm(forms.Form):
    remind_at = forms.DateTimeField(
        label=gettext_lazy("Remind me (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("In your own time zone."),
    )
    note = forms.CharField(label=gettext_lazy("Note (optional)"), required=False, max_length=200)


@login_required
@require_http_methods(["GET", "POST"])
def post_bookmark(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep a post (with an optional reminder), change the reminder, or drop it."""
    post = visibility.get_post_or_404(request.user, pk)
    if post.status != "published":
        raise Http404("No such post.")
    existing = selectors.bookmarks_for(request.user).filter(post=post).first()
    initial = {}
    if existing is not None:
        initial = {"note": existing.note, "remind_at": existing.remind_at}
        if existing.remind_at:
            initial["remind_at"] = timezone.localtime(existing.remind_at).replace(tzinfo=None)
    form = BookmarkForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("remove"):
            actions.remove_bookmark(member=request.user, post_id=post.pk)
            if _wants_json(request):
                return JsonResponse({"bookmarked": False})
            messages.success(request, _("The bookmark was removed."))
            return redirect("post", pk=post.pk)
        if form.is_valid():
            try:
                actions.set_bookmark(
                    member=request.user,
                    post=post,
                    remind_at=form.cleaned_data["remind_at"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.add_error("remind_at", error)
            else:
                if _wants_json(request):
                    return JsonResponse({"bookmarked": True})
                messages.success(request, _("The post is in your bookmarks."))
                return redirect("post", pk=post.pk)
    return render(
        request,
        "forum/bookmark.html",
        {"post": post, "thread": post.thread, "form": form, "existing": existing},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def bookmarks(request: HttpRequest) -> HttpResponse:
    """The member's bookmarks: reminders that are due first, then by reminder, then newest."""
    now = timezone.now()
    kept = list(selectors.bookmarks_for(request.user)[:200])
    due = [b for b in kept if b.remind_at and b.remind_at <= now]
    later = [b for b in kept if b not in due]
    return render(request, "forum/bookmarks.html", {"due": due, "later": later})


# Draft boxes: what the key's second part names, and how it is checked.
_DRAFT_KINDS = {"reply", "thread", "chat"}


def _draft_key(request: HttpRequest, kind: str, ref: str) -> str:
    """The key of a box the member may write in; 404 for any other."""
    if kind not in _DRAFT_KINDS or not ref.isascii() or len(ref) > 60:
        raise Http404("No such box.")
    if kind == "thread":
        group = visibility.get_group_or_404(request.user, ref)
        return f"thread:{group.slug}"
    if not ref.isdigit() or len(ref) > 12:
        raise Http404("No such box.")
    if kind == "reply":
        thread = visibility.get_thread_or_404(request.user, int(ref))
        return f"reply:{thread.pk}"
    meeting = visibility.get_meeting_or_404(request.user, int(ref))
    return f"chat:{meeting.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def draft(request: HttpRequest, kind: str, ref: str) -> HttpResponse:
    """GET: the member's saved draft for a box (JSON). POST `body`: save it (empty: drop)."""
    key = _draft_key(request, kind, ref)
    if request.method == "GET":
        found = selectors.draft_for(request.user, key)
        if found is None:
            return JsonResponse({"body": "", "updated_at": None})
        return JsonResponse({"body": found.body, "updated_at": found.updated_at.isoformat()})
    try:
        saved = actions.save_draft(member=request.user, key=key, body=request.POST.get("body", ""))
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"saved": saved is not None})


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The HTML a text would be stored as, through the same `render_markdown`; mentions
    become links for members who may see the thread named in `thread`."""
    body = request.POST.get("body", "")
    try:
        body = limits.check_characters(body)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    if len(body) > limits.BODY_MAX:
        return HttpResponseBadRequest(_("At most %(max)d characters.") % {"max": limits.BODY_MAX})
    thread_id = request.POST.get("thread", "")
    if thread_id.isascii() and thread_id.isdigit() and len(thread_id) <= 12:
        # Exactly what a reply would store: the action's own rendering.
        thread = visibility.get_thread_or_404(request.user, int(thread_id))
        html, _mentioned = thread_actions.render_body(thread, body, request.user)
    else:
        html = rendering.render_markdown(body)
    return HttpResponse(f'<div class="body" dir="auto">{html}</div>')


@login_required
@require_GET
def mention_candidates(request: HttpRequest, pk: int) -> JsonResponse:
    """Members who may see thread `pk` whose handle or name starts with `q`."""
    thread = visibility.get_thread_or_404(request.user, pk)
    prefix = request.GET.get("q", "")
    if not MENTION_PREFIX.fullmatch(prefix):
        return JsonResponse({"members": []})
    found = visibility.mention_candidates(request.user, thread, prefix)[:MENTION_RESULTS]
    return _members_json(found)


@login_required
@require_GET
def new_thread_mention_candidates(request: HttpRequest, slug: str) -> JsonResponse:
    """Members whose handle or name starts with `q` and who may see the thread being
    started in group `slug` with the audience chosen so far (`audience`, `countries`)."""
    group = visibility.get_group_or_404(request.user, slug)
    if not visibility.can_start_thread(request.user, group):
        raise Http404("No such working group.")
    prefix = request.GET.get("q", "")
    if not MENTION_PREFIX.fullmatch(prefix):
        return JsonResponse({"members": []})
    try:
        countries = thread_actions.thread_audience_countries(
            author=request.user,
            audience=request.GET.get("audience", Audience.GROUP),
            countries=request.GET.getlist("countries")[: len(all_countries)],
        )
    except ValidationError:
        # Half-chosen ("selected countries", none ticked yet): the narrowest it can be.
        countries = [request.user.country.code]
    scope = visibility.Scope(countries=frozenset(countries) if countries else None)
    found = visibility.members_in_scope(request.user, scope, group.pk, prefix)[:MENTION_RESULTS]
    return _members_json(found)


def _members_json(found) -> JsonResponse:
    return JsonResponse(
        {
            "members": [
                {"handle": m.handle, "name": m.display_name, "country": m.country.code}
                for m in found
            ]
        }
    )


@login_required
@require_GET
def thread_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One thread's row as the group list shows it to this member: the live script
    inserts this, so a thread that arrives looks exactly like one that was there."""
    thread = selectors.listed_threads(request.user).filter(pk=pk).first()
    if thread is None:
        raise Http404("No such thread.")
    response = render(request, "forum/_thread_row.html", {"thread": thread})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def post_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """One post as the thread page shows it to this member: the live script inserts
    this, so a post that arrives looks exactly like one that was there."""
    post = visibility.get_post_or_404(request.user, pk)
    thread = visibility.get_thread_for_page_or_404(request.user, post.thread_id)
    view = request.GET.get("view")
    if view not in ("tree", "flat"):
        view = request.user.thread_view
    moderator = visibility.can_moderate(request.user, thread.group)
    post = (
        visibility.visible_posts(request.user, thread, moderator=moderator)
        .select_related("author", "parent__author")
        .filter(pk=post.pk)
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    post.may = visibility.post_decisions(request.user, thread, [post])[post.pk]
    page = [post]
    thread_views._review_notes(request.user, page)
    thread_views.add_files(request.user, page)
    shown = selectors.reactions_and_bookmarks(request.user, [post.pk])
    post.shown_reactions, post.bookmarked = (
        shown.reactions.get(post.pk, []),
        post.pk in shown.bookmarks,
    )
    thread_views.render_posts(request, page, view)
    response = HttpResponse(post.html)
    response["Cache-Control"] = "private, no-store"
    return response
