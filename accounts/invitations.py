"""Invitation links: signing, checking, and remembering the one being accepted."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation

SALT = "accounts.invitation"
SESSION_KEY = "accounts.invitation_id"


class InvitationInvalid(Exception):
    """The link cannot be used; `message` says why in words a person understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def make_token(invitation: Invitation) -> str:
    """Return the signed token that goes into the invitation link."""
    return signing.dumps({"i": invitation.pk, "e": invitation.email.lower()}, salt=SALT)


def check_token(token: str) -> Invitation:
    """Return the open invitation behind `token`, or raise InvitationInvalid."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.INVITATION_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise InvitationInvalid(_("This invitation has expired.")) from None
    except signing.BadSignature:
        raise InvitationInvalid(_("This invitation link is not valid.")) from None
    invitation = (
        Invitation.objects.filter(pk=data.get("i"))
        .select_related("organization", "invited_by")
        .first()
    )
    if invitation is None or invitation.email.lower() != data.get("e"):
        raise InvitationInvalid(_("This invitation link is not valid."))
    ensure_open(invitation)
    return invitation


def ensure_open(invitation: Invitation) -> None:
    """Raise InvitationInvalid unless `invitation` can still be accepted."""
    state = invitation.state(timezone.now())
    if state == "accepted":
        raise InvitationInvalid(_("This invitation has already been used."))
    if state == "revoked":
        raise InvitationInvalid(_("This invitation has been withdrawn."))
    if state == "expired":
        raise InvitationInvalid(_("This invitation has expired."))


def remember(request: HttpRequest, invitation: Invitation) -> None:
    request.session[SESSION_KEY] = invitation.pk


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def from_session(request: HttpRequest) -> Invitation | None:
    """Return the still-open invitation this browser is accepting, if any."""
    pk = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if pk is None:
        return None
    invitation = Invitation.objects.filter(pk=pk).select_related("organization").first()
    if invitation is None:
        return None
    try:
        ensure_open(invitation)
    except InvitationInvalid:
        return None
    return invitation
