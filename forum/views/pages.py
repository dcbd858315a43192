"""The dashboard and the working-group pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from forum import visibility
from forum.models import Role


def dashboard(request: HttpRequest) -> HttpResponse:
    """My groups, or a short description of the forum for visitors."""
    if not request.user.is_authenticated:
        return render(request, "forum/welcome.html")
    groups = visibility.visible_groups(request.user).order_by("name")
    roles = dict(request.user.memberships.values_list("group_id", "role"))
    return render(
        request,
        "forum/dashboard.html",
        {
            "groups": [
                (group, Role(roles[group.pk]) if group.pk in roles else None) for group in groups
            ],
            "can_invite": visibility.can_invite(request.user),
            "moderates": visibility.moderated_groups(request.user).exists(),
        },
    )


@login_required
def group_people(request: HttpRequest, slug: str) -> HttpResponse:
    """A working group's description and its members, grouped by country."""
    from conversations import visibility as messaging

    group = visibility.get_group_or_404(request.user, slug)
    roster = list(visibility.group_roster(request.user, group))
    return render(
        request,
        "forum/group_people.html",
        {
            "group": group,
            "roster": roster,
            # Whom a "Message" button may be offered to: the one rule of direct messages.
            "messageable": messaging.may_message(request.user, [m.member_id for m in roster]),
            "role": Role(role) if (role := visibility.role_in(request.user, group)) else None,
            "can_chair": visibility.can_chair(request.user, group),
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico by themselves: send them to the cached static one."""
    response = HttpResponsePermanentRedirect(static("forum/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
