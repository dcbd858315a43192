"""Who may see which tokens, and which member a token stands for now."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from api.actions.tokens import TOKEN_PREFIX, digest
from api.models import AccessToken

# A token is the prefix and 43 URL-safe characters; anything much longer is not one.
TOKEN_LENGTH_MAX = 128


def tokens_of(member) -> QuerySet[AccessToken]:
    """Return `member`'s own tokens, newest first; nobody sees another member's."""
    if not (member.is_authenticated and member.is_active):
        return AccessToken.objects.none()
    return AccessToken.objects.filter(member=member)


def get_token_or_404(member, pk: int) -> AccessToken:
    try:
        return tokens_of(member).get(pk=pk)
    except (AccessToken.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such token.") from None


def token_for(plaintext: str) -> AccessToken | None:
    """Return the live token `plaintext` names, with its member, or None.

    Revoked, expired and unknown tokens, and tokens of deactivated members, all give
    None: the caller answers 401 alike. Group membership is not decided here; every
    read asks forum/visibility.py as the token's member, so a member removed from a
    group reads nothing of it through their tokens.
    """
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > TOKEN_LENGTH_MAX:
        return None
    token = (
        AccessToken.objects.select_related("member")
        .filter(digest=digest(plaintext), revoked_at=None, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.member.is_active:
        return None
    return token
