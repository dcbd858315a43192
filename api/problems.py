"""RFC 9457 problem details: every error the API answers, in one shape.

`{"type", "title", "status", "detail", "instance"}` as `application/problem+json`,
plus `errors` for a request that fails validation.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import NinjaJSONEncoder

from forum.limits import RateLimited

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
# Problem types are documented in docs/api.md under these anchors.
TYPE_BASE = "/api/v1/docs#problem-"
# The statuses every operation may answer; each operation lists those it can give.
READ_ERRORS = (401, 403, 404, 422, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422, 429)
POSTING_LIMIT_RETRY_SECONDS = 60

# Refusals by the forum's actions that are about the text sent, not the forum's state.
CONTENT_CODES = frozenset(
    {"title_length", "body_empty", "body_length", "bad_characters", "bad_text", "reason_length"}
)


class Problem(Schema):
    """An RFC 9457 problem details object."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, Any]] | None = None


class MissingScope(Exception):
    """The token is valid but was not given the scope an operation needs."""


class Throttled(Exception):
    """Too many requests with one token in the current minute."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class BadQuery(Exception):
    """A search query that cannot run (too long, only exclusions, a bad filter value)."""


class IdempotencyMismatch(Exception):
    """An `Idempotency-Key` already used with a different request."""


TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Server error",
}
SLUGS = {
    400: "bad-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    422: "invalid",
    429: "too-many-requests",
    500: "server-error",
}


def problem(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """Return a problem details response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + SLUGS[status],
        "title": TITLES[status],
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(NinjaJSONEncoder().encode(body), status=status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _messages(error: DjangoValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def _codes(error: DjangoValidationError) -> set[str]:
    if hasattr(error, "error_list"):
        return {e.code for e in error.error_list if e.code}
    return {error.code} if getattr(error, "code", None) else set()


def install(api: NinjaAPI) -> None:
    """Answer every error `api` raises with a problem."""

    @api.exception_handler(Http404)
    def not_found(request, exc):
        # The same words for "missing" and "not yours": existence never leaks.
        return problem(request, 404, _("No such resource, or you may not see it."))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return problem(
            request,
            401,
            _("Send a valid personal access token: Authorization: Bearer <token>."),
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    @api.exception_handler(MissingScope)
    def missing_scope(request, exc):
        return problem(request, 403, str(exc))

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return problem(request, 403, str(exc) or _("You may not do that."))

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        return problem(
            request,
            429,
            _("Too many requests with this token; retry after %(seconds)d seconds.")
            % {"seconds": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )

    @api.exception_handler(BadQuery)
    def bad_query(request, exc):
        # 422 like any other text the forum refuses; `detail` says why, for the reader.
        return problem(
            request,
            422,
            str(exc),
            errors=[{"loc": ["query", "q"], "msg": str(exc), "type": "search_query"}],
        )

    @api.exception_handler(IdempotencyMismatch)
    def mismatch(request, exc):
        # 409, not the draft standard's 422: the request itself is valid; it conflicts
        # with what the key already stands for.
        return problem(
            request, 409, _("This Idempotency-Key was already used with a different request.")
        )

    @api.exception_handler(DjangoValidationError)
    def refused(request, exc):
        if isinstance(exc, RateLimited):
            return problem(
                request,
                429,
                _messages(exc),
                headers={"Retry-After": str(POSTING_LIMIT_RETRY_SECONDS)},
            )
        # The text itself was refused: 422; the forum's state refused it (locked, not
        # published, already decided, muted...): 409.
        status = 422 if _codes(exc) & CONTENT_CODES else 409
        return problem(request, status, _messages(exc))

    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc):
        return problem(
            request,
            422,
            _("The request does not match the schema."),
            errors=[{k: v for k, v in e.items() if k != "ctx"} for e in exc.errors],
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        status = exc.status_code if exc.status_code in TITLES else 400
        return problem(request, status, str(exc))

    @api.exception_handler(Exception)
    def crashed(request, exc):
        logger.exception("API error", exc_info=exc)
        return problem(request, 500, _("Something went wrong on our side."))


def documented(*statuses: int) -> dict[int, type[Problem]]:
    """The `response` entries of an operation's errors, for the schema."""
    return {status: Problem for status in statuses}


def to_problem_media_type(schema: dict) -> dict:
    """Declare error responses as application/problem+json, with 429's Retry-After."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for code, response in operation.get("responses", {}).items():
                if int(code) < 400 or "content" not in response:
                    continue
                response["content"] = {MEDIA_TYPE: response["content"]["application/json"]}
                response["description"] = TITLES.get(int(code), response.get("description"))
                if int(code) == 429:
                    response["headers"] = {
                        "Retry-After": {
                            "description": "Seconds to wait before the next request.",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    }
                if int(code) == 401:
                    response["headers"] = {
                        "WWW-Authenticate": {
                            "description": "The authentication scheme: Bearer.",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    }
    return schema
