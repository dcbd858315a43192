"""Chairs manage a group's members: change roles, remove. MFA required."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.mfa import redirect_to_mfa_setup
from forum import visibility
from forum.actions import memberships
from forum.ids import parse_id
from forum.models import Role


@login_required
@require_http_methods(["GET", "POST"])
def manage_members(request: HttpRequest, slug: str) -> HttpResponse:
    group = visibility.get_group_or_404(request.user, slug)
    if not visibility.can_chair(request.user, group):
        raise Http404("No such page.")
    if (response := redirect_to_mfa_setup(request)) is not None:
        return response
    roster = visibility.group_roster(request.user, group)
    if request.method == "POST":
        membership = roster.filter(pk=parse_id(request.POST.get("membership"))).first()
        if membership is None:
            messages.error(request, _("That member is no longer in this group."))
            return redirect("group_members", slug=group.slug)
        try:
            if request.POST.get("action") == "remove":
                memberships.remove_member(actor=request.user, membership=membership)
                messages.success(
                    request,
                    _("%(name)s was removed from %(group)s.")
                    % {"name": membership.member.display_name, "group": _(group.name)},
                )
            else:
                memberships.change_role(
                    actor=request.user, membership=membership, role=request.POST.get("role", "")
                )
                messages.success(
                    request,
                    _("%(name)s's role was changed.") % {"name": membership.member.display_name},
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("group_members", slug=group.slug)
    return render(
        request,
        "forum/group_members.html",
        {"group": group, "roster": roster, "roles": Role.choices},
    )
