"""The member's token pages at /settings/tokens/: list, create (shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import problems, visibility
from api.actions import tokens as actions
from api.forms import TokenForm


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """The member's tokens; a valid POST makes one and shows its plaintext on this answer only."""
    form = TokenForm(request.POST or None)
    plaintext = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, plaintext = actions.create_token(member=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
        if plaintext is None:
            status = 400
        else:
            form = TokenForm()
    context = {
        "form": form,
        "plaintext": plaintext,
        "tokens": visibility.tokens_of(request.user),
        "now": timezone.now(),
    }
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = visibility.get_token_or_404(request.user, pk)
    actions.revoke_token(member=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens")


def api_not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Unknown paths under /api/ answer a 404 problem, like a missing object."""
    return problems.problem(request, 404, _("No such resource, or you may not see it."))
