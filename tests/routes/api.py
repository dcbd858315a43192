"""Route rows of the api app: the token pages, and every /api/ route.

The API authenticates with bearer tokens only: a session cookie opens nothing there,
so each API route answers 401 to every role of this table (which asks with sessions).
What each role's token may read and do through the API is the per-role matrix in
tests/api/test_access_matrix.py, which replays this file's page rows for the API.
"""

from __future__ import annotations

from api.actions.tokens import create_token
from tests.access import World, secret
from tests.routes.tables import BAD, LOGIN, NOT_ALLOWED, NOT_FOUND, OK, REDIRECT, Answer, Row

UNAUTHORIZED = Answer(401)

# The API's operations by the kind of object their `pk` names (a lone slug: a group).
KINDS = {
    "api_token": "api_token_revoke",
    "thread": "api_v1:get_thread api_v1:reply_to_thread",
    "post": "api_v1:get_post api_v1:edit_post api_v1:reply_to_post",
    "meeting": "api_v1:get_meeting api_v1:get_transcript",
    "review": "api_v1:get_review api_v1:approve api_v1:reject api_v1:edit_and_approve",
}

POST_DATA = {
    "api_tokens": {"name": "Route check", "scopes": "read", "expires_in_days": "30"},
}


def _bearer_only(method: str, state: str) -> list[Row]:
    """A session is no credential for the API: 401 for everyone, missing objects too."""
    rows = [Row(method, state, UNAUTHORIZED, "everyone")]
    if state not in ("-", "legal"):
        rows.append(Row(method, "missing", UNAUTHORIZED, "reader"))
    return rows


URLS: dict[str, list[Row]] = {
    "api_tokens": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "reader", shows="token"),
        Row("GET", "-", OK, "outsider foreigner author moderators", hides="token"),
        Row("POST", "-", LOGIN, "anonymous"),
        Row("POST", "-", OK, "reader", shows="token"),  # the list, and the new token once
        Row("POST", "-", OK, "outsider foreigner author moderators", hides="token"),
        Row("POST", "-", BAD, "reader", data={"name": "", "scopes": "read"}),
        Row("POST", "-", BAD, "reader", data={"name": "x", "scopes": "moderate"}),  # no MFA
        Row(
            "POST",
            "-",
            BAD,
            "chair",
            data={"name": "x", "scopes": "read", "expires_in_days": "366"},
        ),
    ],
    "api_token_revoke": [
        Row("POST", "live", LOGIN, "anonymous"),
        Row("POST", "live", REDIRECT, "reader"),
        Row("POST", "live", NOT_FOUND, "outsider foreigner author moderators"),
        Row("GET", "live", NOT_ALLOWED, "reader"),
        Row("POST", "missing", NOT_FOUND, "reader"),
        Row("POST", "huge", NOT_FOUND, "reader"),
    ],
    "api_v1:openapi-json": [Row("GET", "-", OK, "everyone")],
    "api_v1:openapi-view": [Row("GET", "-", OK, "everyone")],
    "api_v1:api-root": [Row("GET", "-", NOT_FOUND, "everyone")],
    "api_not_found": [
        Row("GET", "-", NOT_FOUND, "everyone", args={"rest": "v2/groups"}),
        Row("POST", "-", NOT_FOUND, "reader", args={"rest": "v1/nothing"}),
    ],
    "api_v1:list_groups": _bearer_only("GET", "-"),
    "api_v1:list_inbox": _bearer_only("GET", "-"),
    "api_v1:list_queue": _bearer_only("GET", "-"),
    "api_v1:search": _bearer_only("GET", "-"),
    "api_v1:list_threads": _bearer_only("GET", "legal"),
    "api_v1:create_thread": _bearer_only("POST", "legal"),
    "api_v1:list_meetings": _bearer_only("GET", "legal"),
    "api_v1:get_thread": _bearer_only("GET", "published"),
    "api_v1:reply_to_thread": _bearer_only("POST", "published"),
    "api_v1:get_post": _bearer_only("GET", "published"),
    "api_v1:edit_post": _bearer_only("PATCH", "published"),
    "api_v1:reply_to_post": _bearer_only("POST", "published"),
    "api_v1:get_meeting": _bearer_only("GET", "live"),
    "api_v1:get_transcript": _bearer_only("GET", "live"),
    "api_v1:get_review": _bearer_only("GET", "pending"),
    "api_v1:approve": _bearer_only("POST", "pending"),
    "api_v1:reject": _bearer_only("POST", "pending"),
    "api_v1:edit_and_approve": _bearer_only("POST", "pending"),
}


def build(world: World) -> None:
    """The reader's live token, named with a marker nobody else may see."""
    token, _plaintext = create_token(
        member=world.people["reader"], name=f"Sync {secret('token')}", scopes=["read"]
    )
    world.objects["api_token"] = {"live": token}
