"""Personal access tokens: shown once, stored as a hash, scoped, revocable, expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from api.actions.tokens import TOKEN_PREFIX, create_token, digest, revoke_token
from api.models import AccessToken
from forum.models import Membership
from tests.api.conftest import ApiClient
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def tables_holding(text: str) -> list[str]:
    """Return model.field names whose stored value contains `text`, across every table."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_FIELDS):
                lookup = f"{field.attname}__contains"
                if isinstance(field, models.JSONField):
                    lookup = f"{field.attname}__icontains"
                if model._default_manager.filter(**{lookup: text}).exists():
                    found.append(f"{model._meta.label}.{field.name}")
    return found


def test_a_token_is_a_recognizable_prefix_and_32_random_bytes_stored_only_as_a_hash(member, thread):
    token, plaintext = create_token(member=member, name="Sync", scopes=["read", "write"])
    assert plaintext.startswith(TOKEN_PREFIX)
    assert len(plaintext) == len(TOKEN_PREFIX) + 43  # token_urlsafe(32)
    assert token.digest == digest(plaintext) != plaintext
    client = ApiClient(plaintext)
    assert client.get("/api/v1/groups").status_code == 200
    opening = thread.posts.get()
    reply = client.post(
        f"/api/v1/posts/{opening.pk}/replies", {"body": "Hi"}, HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert reply.status_code == 201
    assert tables_holding(plaintext) == []
    assert tables_holding(plaintext[len(TOKEN_PREFIX) :]) == []


def test_the_default_expiry_is_90_days_and_a_year_is_the_most(member):
    token, _ = create_token(member=member, name="Sync", scopes=["read"])
    assert token.expires_at - token.created_at == timedelta(days=90)
    create_token(member=member, name="Long", scopes=["read"], expires_in_days=365)
    with pytest.raises(ValidationError):
        create_token(member=member, name="Too long", scopes=["read"], expires_in_days=366)


def test_the_moderate_scope_needs_mfa_on_the_account(member, moderator):
    with pytest.raises(ValidationError):
        create_token(member=member, name="Mod", scopes=["moderate"])
    create_token(member=moderator, name="Mod", scopes=["moderate"])


@pytest.mark.parametrize("how", ["revoked", "expired", "deactivated", "unknown", "malformed"])
def test_a_token_that_is_not_live_answers_401_as_a_problem(member, how, issue_token):
    plaintext = issue_token(member)
    token = AccessToken.objects.get(digest=digest(plaintext))
    if how == "revoked":
        revoke_token(member=member, token=token)
    elif how == "expired":
        AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    elif how == "deactivated":
        member.is_active = False
        member.save(update_fields=["is_active"])
    elif how == "unknown":
        plaintext = TOKEN_PREFIX + "x" * 43
    else:
        plaintext = "not a token at all"
    response = ApiClient(plaintext).get("/api/v1/groups")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_no_authorization_header_answers_401(client):
    response = client.get("/api/v1/groups")
    assert response.status_code == 401
    assert response.json()["title"] == "Not authenticated"


def test_a_session_cookie_opens_nothing_in_the_api(member):
    assert client_for(member).get("/api/v1/groups").status_code == 401


def test_a_missing_scope_answers_403(member, thread, api_as):
    opening = thread.posts.get()
    read_only = api_as(member, ("read",))
    response = read_only.post(f"/api/v1/posts/{opening.pk}/replies", {"body": "Hi"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "write" in response.json()["detail"]
    assert opening.replies.count() == 0
    write_only = api_as(member, ("write",))
    assert write_only.get("/api/v1/groups").status_code == 403
    assert read_only.get("/api/v1/moderation/queue").status_code == 403


def test_moderate_stops_working_when_mfa_is_removed(moderator, api_as):
    client = api_as(moderator, ("moderate",))
    assert client.get("/api/v1/moderation/queue").status_code == 200
    Authenticator.objects.filter(user=moderator).delete()
    assert client.get("/api/v1/moderation/queue").status_code == 403


def test_a_member_removed_from_a_group_reads_nothing_of_it(member, thread, api_as):
    client = api_as(member)
    assert client.get(f"/api/v1/threads/{thread.pk}").status_code == 200
    Membership.objects.filter(member=member).delete()
    assert client.get(f"/api/v1/threads/{thread.pk}").status_code == 404
    assert client.get("/api/v1/groups/legal-policy/threads").status_code == 404
    assert client.get("/api/v1/groups").json()["items"] == []


def test_the_last_use_is_recorded_with_its_address(member, issue_token):
    plaintext = issue_token(member)
    ApiClient(plaintext).get("/api/v1/groups", REMOTE_ADDR="203.0.113.9")
    token = AccessToken.objects.get(digest=digest(plaintext))
    assert token.last_used_at is not None
    assert token.last_used_from == "203.0.113.9"


def test_reads_past_the_limit_answer_429_with_retry_after(member, api_as, settings):
    settings.API_READS_PER_MINUTE = 3
    client = api_as(member)
    answers = [client.get("/api/v1/groups") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert answers[-1]["Content-Type"] == "application/problem+json"


def test_writes_have_their_own_limit(member, thread, api_as, settings, posting_unlimited):
    settings.API_WRITES_PER_MINUTE = 2
    client = api_as(member, ("read", "write"))
    opening = thread.posts.get()
    statuses = [
        client.post(f"/api/v1/posts/{opening.pk}/replies", {"body": f"n{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert client.get("/api/v1/groups").status_code == 200  # reads still pass
    assert opening.replies.count() == 2


def test_the_tokens_page_shows_a_new_token_once_and_revokes_it(member):
    page = client_for(member)
    assert page.get("/settings/tokens/").status_code == 200
    made = page.post(
        "/settings/tokens/", {"name": "Sync", "scopes": ["read"], "expires_in_days": "30"}
    )
    assert made.status_code == 200
    token = AccessToken.objects.get(member=member)
    plaintext = made.content.decode().split('<code id="new-token">')[1].split("</code>")[0]
    assert digest(plaintext) == token.digest
    listing = page.get("/settings/tokens/").content.decode()
    assert plaintext not in listing
    assert token.prefix in listing
    assert ApiClient(plaintext).get("/api/v1/groups").status_code == 200
    assert page.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiClient(plaintext).get("/api/v1/groups").status_code == 401


def test_the_settings_pages_link_to_the_tokens_page(member):
    page = client_for(member)
    for url in ("/settings/profile/", "/settings/notifications/"):
        assert b'href="/settings/tokens/"' in page.get(url).content


def test_the_api_token_command_prints_a_working_token(member):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("api_token", member.email, "--scopes", "read", stdout=out)
    plaintext = out.getvalue().strip()
    assert plaintext.startswith(TOKEN_PREFIX)
    assert ApiClient(plaintext).get("/api/v1/groups").status_code == 200
