"""Bearer authentication with personal access tokens, scopes and per-token rate limits."""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from accounts.mfa import has_mfa
from api import visibility
from api.actions.tokens import record_use
from api.models import Scope
from api.problems import MissingScope, Throttled
from forum import limits

WINDOW_SECONDS = 60
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def reads_per_minute() -> int:
    return getattr(settings, "API_READS_PER_MINUTE", 300)


def writes_per_minute() -> int:
    return getattr(settings, "API_WRITES_PER_MINUTE", 30)


def _throttle(token_id: int, method: str) -> None:
    """Count one request against the token's reads or writes in this minute, or refuse."""
    if method in SAFE_METHODS:
        kind, limit = "read", reads_per_minute()
    else:
        kind, limit = "write", writes_per_minute()
    if not limits.consume(f"api:{kind}:{token_id}", limit=limit, window=WINDOW_SECONDS):
        # forum.limits counts in fixed windows: the next one starts at the minute's end.
        retry_after = max(1, math.ceil(WINDOW_SECONDS - time.time() % WINDOW_SECONDS))
        raise Throttled(retry_after)


class TokenAuth(HttpBearer):
    """A personal access token with `scope`: 401 if the token is not live, 403 without
    the scope (or without MFA for `moderate`), 429 past the token's rate."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str):
        found = visibility.token_for(token)
        if found is None:
            return None
        if not found.has_scope(self.scope):
            raise MissingScope(_("This token lacks the “%(scope)s” scope.") % {"scope": self.scope})
        if self.scope == Scope.MODERATE and not has_mfa(found.member):
            raise MissingScope(_("Moderation through the API needs two-factor authentication."))
        _throttle(found.pk, request.method)
        record_use(found, request.META.get("REMOTE_ADDR"))
        request.api_token = found
        return found.member


read = TokenAuth(Scope.READ)
write = TokenAuth(Scope.WRITE)
moderate = TokenAuth(Scope.MODERATE)
