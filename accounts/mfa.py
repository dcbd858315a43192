"""The rule that moderators and chairs act only with a second factor."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

NEXT_AFTER_MFA = "mfa_next"


def has_mfa(member) -> bool:
    """Return True when `member` has an authenticator app (TOTP) set up."""
    return Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()


def redirect_to_mfa_setup(request: HttpRequest) -> HttpResponseRedirect | None:
    """Send a member without MFA to the set-up page with an explanation; None if they have it."""
    if has_mfa(request.user):
        request.session.pop(NEXT_AFTER_MFA, None)  # arrived: the way back is used
        return None
    messages.warning(
        request,
        _(
            "Moderation and membership changes need two-factor authentication. "
            "Set up an authenticator app to continue."
        ),
    )
    wanted = request.get_full_path()
    # Kept through the password check, the app and the recovery codes (allauth's pages
    # drop `next`): the recovery codes page links back to it.
    request.session[NEXT_AFTER_MFA] = wanted
    query = urlencode({"next": wanted})
    return redirect(f"{reverse('mfa_activate_totp')}?{query}")
