"""The inbox page, marking notifications read, and watching or muting a thread."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from forum import inbox, visibility
from forum.actions import notifications as actions
from forum.ids import parse_id
from forum.models import Thread

NOTIFICATIONS_PER_PAGE = 25


@login_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    """Mentions, replies, watched threads, moderation outcomes and meetings, newest first."""
    page = Paginator(inbox.notifications_for(request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "forum/inbox.html",
        {"page": page, "items": inbox.items(request.user, page.object_list)},
    )


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of them read."""
    raw = request.POST.get("id")
    if raw is None:
        actions.mark_read(member=request.user)
    else:
        actions.mark_read(member=request.user, notification_ids=[parse_id(raw)])
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("inbox")


@login_required
@require_POST
def watch_thread(request: HttpRequest, pk: int) -> HttpResponse:
    """Watch, mute or forget a thread the member may see."""
    thread = visibility.get_thread_or_404(request.user, pk)
    state = request.POST.get("state", "")
    if state not in ("watch", "mute", "none"):
        raise Http404("No such choice.")
    try:
        actions.set_watch(member=request.user, thread=thread, state=state)
    except Thread.DoesNotExist:
        raise Http404("No such thread.") from None
    messages.success(
        request,
        {
            "watch": _("You are watching this thread."),
            "mute": _("This thread is muted: it will not notify you."),
            "none": _("You no longer watch this thread."),
        }[state],
    )
    return redirect(thread.get_absolute_url())
