"""Creating, revoking and using personal access tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.mfa import has_mfa
from accounts.models import Member
from api.models import AccessToken, Scope
from forum import limits

# Recognizable in logs and by secret scanners: "wgf_pat_" then 32 random bytes.
TOKEN_PREFIX = "wgf_pat_"  # noqa: S105 - a marker, not a secret
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 6
NAME_MAX = 100
# Record the last use at most this often: a read must not become a write every time.
LAST_USED_EVERY = timedelta(seconds=60)


def default_days() -> int:
    return getattr(settings, "API_TOKEN_DEFAULT_DAYS", 90)


def max_days() -> int:
    return getattr(settings, "API_TOKEN_MAX_DAYS", 365)


def digest(plaintext: str) -> str:
    """Return the stored form of a token: its SHA-256 (the token is 256 random bits)."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(
    *,
    member: Member,
    name: str,
    scopes: Iterable[str],
    expires_in_days: int | None = None,
) -> tuple[AccessToken, str]:
    """Make a token for `member`; return it with its plaintext, which is never stored."""
    if not (member.is_authenticated and member.is_active):
        raise PermissionDenied(_("Only active members create tokens."))
    name = " ".join(limits.check_characters(name).split())
    if not 1 <= len(name) <= NAME_MAX:
        raise ValidationError(
            _("A token's name needs 1 to %(max)d characters.") % {"max": NAME_MAX}, code="name"
        )
    chosen = sorted(set(scopes), key=[s.value for s in Scope].index) if scopes else []
    if not chosen or any(scope not in Scope.values for scope in chosen):
        raise ValidationError(_("Choose at least one scope."), code="scopes")
    if Scope.MODERATE in chosen and not has_mfa(member):
        raise ValidationError(
            _("The moderate scope needs two-factor authentication on your account."),
            code="mfa",
        )
    days = default_days() if expires_in_days is None else expires_in_days
    if not 1 <= days <= max_days():
        raise ValidationError(
            _("A token expires after 1 to %(max)d days.") % {"max": max_days()}, code="expiry"
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = AccessToken.objects.create(
            member=member,
            name=name,
            prefix=plaintext[:SHOWN_CHARACTERS],
            digest=digest(plaintext),
            scopes=" ".join(chosen),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    return token, plaintext


def revoke_token(*, member: Member, token: AccessToken) -> AccessToken:
    """Revoke one of `member`'s tokens at once; revoking twice changes nothing."""
    if token.member_id != member.pk:
        raise PermissionDenied(_("That is not your token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        AccessToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=token.revoked_at)
    return token


def record_use(token: AccessToken, address: str | None) -> None:
    """Note when and from where `token` was last used (at most once a minute per address)."""
    now = timezone.now()
    if (
        token.last_used_at is not None
        and now - token.last_used_at < LAST_USED_EVERY
        and token.last_used_from == address
    ):
        return
    stale = (
        Q(last_used_at=None)
        | Q(last_used_at__lt=now - LAST_USED_EVERY)
        | ~Q(last_used_from=address)
    )
    AccessToken.objects.filter(stale, pk=token.pk).update(last_used_at=now, last_used_from=address)
    token.last_used_at, token.last_used_from = now, address
