"""The pages' visibility matrix, replayed through the API with each role's token.

The same world as tests/test_route_coverage.py (tests/access.py): every role gets a
token with every scope it may hold (moderate needs MFA), and each row checks the
answer, the markers that must not (or must) appear, and that "not yours" answers
exactly like "missing". The anonymous role sends no token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.db import transaction

from api.actions.tokens import create_token
from tests.access import HUGE_ID, MISSING_ID, World, build_world, expand_roles, secret
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

MFA_ROLES = ("moderator", "chair", "staff")


@dataclass(frozen=True)
class ApiRow:
    method: str
    path: str  # "{id}" is the object in `state`; "{slug}" a group
    state: str
    status: int
    roles: str
    data: dict | None = None
    hides: str = ""
    shows: str = ""


THREAD_LIST = "/api/v1/groups/{slug}/threads"
THREAD = "/api/v1/threads/{id}"
THREAD_REPLY = "/api/v1/threads/{id}/posts"
POST = "/api/v1/posts/{id}"
POST_REPLY = "/api/v1/posts/{id}/replies"
MEETINGS = "/api/v1/groups/{slug}/meetings"
MEETING = "/api/v1/meetings/{id}"
TRANSCRIPT = "/api/v1/meetings/{id}/transcript"
QUEUE = "/api/v1/moderation/queue"
# Filters only (no words): plain snippets, newest first, every entry the role may find.
SEARCH = "/api/v1/search?in=threads,posts&sort=newest&limit=100"
SEARCH_CHAT = "/api/v1/search?in=chat&limit=100"
REVIEW = "/api/v1/moderation/reviews/{id}"
REPLY = {"body": "A reply through the API."}
EDIT = {"body": "Edited through the API."}

ROWS = [
    # --- lists -----------------------------------------------------------------------
    ApiRow("GET", "/api/v1/groups", "-", 401, "anonymous"),
    ApiRow("GET", "/api/v1/groups", "-", 200, "signed-in"),
    ApiRow("GET", "/api/v1/inbox", "-", 200, "signed-in"),
    ApiRow("GET", THREAD_LIST, "legal", 401, "anonymous"),
    ApiRow("GET", THREAD_LIST, "legal", 404, "outsider"),
    ApiRow("GET", THREAD_LIST, "legal", 200, "foreigner", hides="limited pending rejected"),
    ApiRow(
        "GET", THREAD_LIST, "legal", 200, "reader", hides="pending rejected", shows="limited moved"
    ),
    ApiRow(
        "GET",
        THREAD_LIST,
        "legal",
        200,
        "author moderators",
        shows="limited pending rejected moved",
    ),
    ApiRow("GET", THREAD_LIST, "moved", 200, "outsider author staff", hides="moved moved-edit"),
    ApiRow("GET", THREAD_LIST, "moved", 404, "foreigner reader moderator chair"),
    ApiRow("GET", THREAD_LIST, "missing", 404, "signed-in"),
    ApiRow("GET", MEETINGS, "legal", 404, "outsider"),
    ApiRow("GET", MEETINGS, "legal", 200, "foreigner author chair", hides="limited-meeting"),
    ApiRow("GET", MEETINGS, "legal", 200, "reader moderator staff", shows="limited-meeting"),
    ApiRow("GET", MEETINGS, "missing", 404, "signed-in"),
    # --- search: starts from the same rule as the token's owner; pending and rejected
    # posts are never indexed, removed ones leave the index -------------------------------
    ApiRow("GET", SEARCH, "-", 401, "anonymous"),
    ApiRow(
        "GET",
        SEARCH,
        "-",
        200,
        "outsider",
        hides="published pending rejected limited locked removed moved moved-edit",
    ),
    ApiRow(
        "GET",
        SEARCH,
        "-",
        200,
        "foreigner",
        hides="limited pending rejected removed",
        shows="published",
    ),
    ApiRow(
        "GET",
        SEARCH,
        "-",
        200,
        "reader author",
        hides="pending rejected removed",
        shows="published limited locked moved-edit",
    ),
    ApiRow("GET", SEARCH, "-", 200, "moderators", hides="pending rejected", shows="limited"),
    ApiRow("GET", SEARCH_CHAT, "-", 200, "outsider foreigner author chair", hides="limited-chat"),
    ApiRow("GET", SEARCH_CHAT, "-", 200, "members moderators", hides="limited-chat"),
    # --- a thread and its posts --------------------------------------------------------
    ApiRow("GET", THREAD, "published", 401, "anonymous"),
    ApiRow("GET", THREAD, "published", 404, "outsider"),
    ApiRow("GET", THREAD, "published", 200, "foreigner reader", hides="pending rejected removed"),
    ApiRow("GET", THREAD, "published", 200, "author", hides="removed", shows="pending rejected"),
    ApiRow("GET", THREAD, "published", 200, "moderators", shows="pending rejected removed"),
    ApiRow("GET", THREAD, "pending", 404, "outsider foreigner reader"),
    ApiRow("GET", THREAD, "pending", 200, "author moderators", shows="pending"),
    ApiRow("GET", THREAD, "rejected", 404, "outsider foreigner reader"),
    ApiRow("GET", THREAD, "rejected", 200, "author moderators", shows="rejected"),
    ApiRow("GET", THREAD, "limited", 404, "outsider foreigner"),
    ApiRow("GET", THREAD, "limited", 200, "reader author moderators", shows="limited"),
    ApiRow("GET", THREAD, "locked", 200, "members moderators"),
    ApiRow("GET", THREAD, "moved", 404, "outsider"),
    ApiRow("GET", THREAD, "moved", 200, "members moderators", shows="moved-edit"),
    ApiRow("GET", THREAD, "missing", 404, "signed-in"),
    ApiRow("GET", THREAD, "huge", 422, "reader"),
    ApiRow("GET", POST, "published", 404, "outsider"),
    ApiRow("GET", POST, "published", 200, "members moderators", shows="published"),
    ApiRow("GET", POST, "pending", 404, "outsider foreigner reader"),
    ApiRow("GET", POST, "pending", 200, "author moderators", shows="pending"),
    ApiRow("GET", POST, "rejected", 404, "outsider foreigner reader"),
    ApiRow("GET", POST, "rejected", 200, "author moderators", shows="rejected"),
    ApiRow("GET", POST, "removed", 404, "outsider"),
    ApiRow("GET", POST, "removed", 200, "members", hides="removed"),  # a placeholder
    ApiRow("GET", POST, "removed", 200, "moderators", shows="removed"),
    ApiRow("GET", POST, "limited", 404, "outsider foreigner"),
    ApiRow("GET", POST, "limited", 200, "reader author moderators", shows="limited"),
    ApiRow("GET", POST, "moved", 404, "outsider"),
    ApiRow("GET", POST, "missing", 404, "signed-in"),
    # --- writes --------------------------------------------------------------------------
    ApiRow("POST", THREAD_LIST, "legal", 401, "anonymous", {"title": "New one", "body": "B"}),
    ApiRow("POST", THREAD_LIST, "legal", 404, "outsider", {"title": "New one", "body": "B"}),
    ApiRow(
        "POST", THREAD_LIST, "legal", 201, "members moderators", {"title": "New one", "body": "B"}
    ),
    ApiRow("POST", THREAD_LIST, "missing", 404, "reader", {"title": "New one", "body": "B"}),
    ApiRow("POST", THREAD_REPLY, "published", 404, "outsider", REPLY),
    ApiRow("POST", THREAD_REPLY, "published", 201, "members moderators", REPLY),
    ApiRow("POST", THREAD_REPLY, "pending", 404, "foreigner reader", REPLY),
    ApiRow("POST", THREAD_REPLY, "pending", 409, "author moderators", REPLY),
    ApiRow("POST", THREAD_REPLY, "limited", 404, "outsider foreigner", REPLY),
    ApiRow("POST", THREAD_REPLY, "limited", 201, "reader", REPLY),
    ApiRow("POST", THREAD_REPLY, "locked", 403, "members", REPLY),
    ApiRow("POST", THREAD_REPLY, "locked", 201, "moderators", REPLY),
    ApiRow("POST", THREAD_REPLY, "moved", 404, "outsider", REPLY),
    ApiRow("POST", THREAD_REPLY, "moved", 201, "reader", REPLY),
    ApiRow("POST", THREAD_REPLY, "missing", 404, "reader", REPLY),
    ApiRow("POST", POST_REPLY, "published", 401, "anonymous", REPLY),
    ApiRow("POST", POST_REPLY, "published", 404, "outsider", REPLY),
    ApiRow("POST", POST_REPLY, "published", 201, "members moderators", REPLY),
    ApiRow("POST", POST_REPLY, "pending", 404, "foreigner reader", REPLY),
    ApiRow("POST", POST_REPLY, "pending", 409, "author moderators", REPLY),
    ApiRow("POST", POST_REPLY, "removed", 409, "reader moderator", REPLY),
    ApiRow("POST", POST_REPLY, "limited", 404, "outsider foreigner", REPLY),
    ApiRow("POST", POST_REPLY, "limited", 201, "reader", REPLY),
    ApiRow("POST", POST_REPLY, "locked", 403, "members", REPLY),
    ApiRow("POST", POST_REPLY, "locked", 201, "moderators", REPLY),
    ApiRow("POST", POST_REPLY, "moved", 404, "outsider", REPLY),
    ApiRow("POST", POST_REPLY, "missing", 404, "reader", REPLY),
    ApiRow("PATCH", POST, "published", 404, "outsider", EDIT),
    ApiRow("PATCH", POST, "published", 403, "foreigner reader", EDIT),  # seen, not theirs
    ApiRow("PATCH", POST, "published", 200, "author moderators", EDIT),
    ApiRow("PATCH", POST, "pending", 404, "reader", EDIT),
    ApiRow("PATCH", POST, "pending", 200, "author moderators", EDIT),
    ApiRow("PATCH", POST, "removed", 403, "members moderators", EDIT),
    ApiRow("PATCH", POST, "limited", 404, "foreigner", EDIT),
    ApiRow("PATCH", POST, "limited", 200, "author", EDIT),
    ApiRow("PATCH", POST, "moved", 404, "outsider", EDIT),
    ApiRow("PATCH", POST, "moved", 200, "author moderators", EDIT),
    ApiRow("PATCH", POST, "missing", 404, "author", EDIT),
    # --- meetings --------------------------------------------------------------------------
    ApiRow("GET", MEETING, "scheduled", 404, "outsider"),
    ApiRow("GET", MEETING, "scheduled", 200, "members moderators", shows="scheduled"),
    ApiRow("GET", MEETING, "live", 200, "members moderators"),
    ApiRow("GET", MEETING, "ended", 404, "outsider"),
    ApiRow("GET", MEETING, "ended", 200, "members moderators"),
    ApiRow("GET", MEETING, "limited", 404, "outsider foreigner author chair"),
    ApiRow("GET", MEETING, "limited", 200, "reader moderator staff", shows="limited-meeting"),
    ApiRow("GET", MEETING, "missing", 404, "signed-in"),
    ApiRow("GET", TRANSCRIPT, "live", 404, "outsider"),
    ApiRow("GET", TRANSCRIPT, "live", 200, "members moderators"),
    ApiRow("GET", TRANSCRIPT, "ended", 200, "members moderators"),
    ApiRow("GET", TRANSCRIPT, "limited", 404, "outsider foreigner author chair"),
    ApiRow("GET", TRANSCRIPT, "limited", 200, "reader moderator staff", hides="limited-chat"),
    ApiRow("GET", TRANSCRIPT, "missing", 404, "reader"),
    # --- moderation: the moderate scope needs MFA, so members' tokens lack it ---------------
    ApiRow("GET", QUEUE, "-", 401, "anonymous"),
    ApiRow("GET", QUEUE, "-", 403, "outsider members"),
    ApiRow("GET", QUEUE, "-", 200, "moderators", shows="pending"),
    ApiRow("GET", REVIEW, "pending", 403, "outsider members"),
    ApiRow("GET", REVIEW, "pending", 200, "moderators", shows="pending"),
    ApiRow("GET", REVIEW, "decided", 404, "moderators"),
    ApiRow("GET", REVIEW, "missing", 404, "moderators"),
    ApiRow("POST", REVIEW + "/approve", "pending", 403, "members"),
    ApiRow("POST", REVIEW + "/approve", "pending", 200, "moderators"),
    ApiRow("POST", REVIEW + "/approve", "decided", 404, "moderators"),
    ApiRow("POST", REVIEW + "/reject", "pending", 200, "moderators", {"reason": "tone"}),
    ApiRow("POST", REVIEW + "/reject", "pending", 422, "chair", {"reason": "other"}),
    ApiRow("POST", REVIEW + "/reject", "missing", 404, "chair", {"reason": "tone"}),
    ApiRow("POST", REVIEW + "/edit-approve", "pending", 200, "moderators", {"body": "Fixed."}),
    ApiRow("POST", REVIEW + "/edit-approve", "decided", 404, "chair", {"body": "Fixed."}),
]


def _object_id(world: World, path: str, state: str) -> object:
    if state == "missing":
        return MISSING_ID
    if state == "huge":
        return HUGE_ID
    if path.startswith("/api/v1/moderation/reviews"):
        return world.reviews[state].pk
    if path.startswith("/api/v1/meetings"):
        return world.meetings[state].pk
    if path.startswith("/api/v1/threads"):
        return world.threads[state].pk
    posts = {**world.posts, **{s: world.posts[f"opening-{s}"] for s in ("pending", "rejected")}}
    return posts[state].pk


def url_for(world: World, row: ApiRow, state: str | None = None) -> str:
    state = state or row.state
    if "{slug}" in row.path:
        slug = {"legal": world.legal.slug, "moved": world.promotion.slug}.get(
            state, "no-such-group"
        )
        return row.path.format(slug=slug)
    if "{id}" in row.path:
        return row.path.format(id=_object_id(world, row.path, state))
    return row.path


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The route coverage test's world plus one token per role with every scope it may
    hold, built once in a transaction rolled back after the module (as there)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
            for role, member in built.people.items():
                scopes = ["read", "write"] + (["moderate"] if role in MFA_ROLES else [])
                built.tokens[f"api-{role}"] = {
                    "plaintext": create_token(member=member, name="matrix", scopes=scopes)[1]
                }
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def ask(world: World, role: str, row: ApiRow, url: str):
    token = world.tokens.get(f"api-{role}", {}).get("plaintext", "")
    client = ApiClient(token)
    if row.method == "GET":
        return client.get(url)
    if row.method == "PATCH":
        return client.patch(url, row.data or {})
    return client.post(url, row.data or {})


def cases():
    for row in ROWS:
        for role in expand_roles(row.roles):
            yield pytest.param(row, role, id=f"{row.method}-{row.path}-{row.state}-{role}")


def _comparable(body: bytes) -> dict:
    answer = json.loads(body)
    answer.pop("instance", None)
    return answer


@pytest.mark.parametrize(("row", "role"), list(cases()))
def test_api_answers_as_the_pages_do(world, row, role, settings):
    settings.FORUM_POSTS_PER_MINUTE = 10_000
    url = url_for(world, row)
    response = ask(world, role, row, url)
    said = f"{row.method} {url} as {role} ({row.state})"
    assert response.status_code == row.status, f"{said}: {response.content[:300]!r}"
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", said
    for state in row.hides.split():
        assert secret(state).encode() not in response.content, f"{said}: shows {state}"
    for state in row.shows.split():
        assert secret(state).encode() in response.content, f"{said}: lacks {state}"
    if row.status == 404 and row.state != "missing":
        twin = ask(world, role, row, url_for(world, row, "missing"))
        assert twin.status_code == 404, said
        assert _comparable(response.content) == _comparable(twin.content), said
