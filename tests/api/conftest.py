"""Fixtures for the API tests: tokens with chosen scopes and clients that send them."""

from __future__ import annotations

import pytest
from django.test import Client

from api.actions.tokens import create_token


def bearer(plaintext: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


class ApiClient:
    """A test client that sends one token with every request."""

    def __init__(self, plaintext: str) -> None:
        self.plaintext = plaintext
        self.client = Client(raise_request_exception=False)

    def _auth(self) -> dict[str, str]:
        return bearer(self.plaintext) if self.plaintext else {}

    def get(self, path: str, params: dict | None = None, **headers):
        return self.client.get(path, params or {}, **self._auth(), **headers)

    def post(self, path: str, data: dict | None = None, **headers):
        return self.client.post(
            path, data or {}, content_type="application/json", **self._auth(), **headers
        )

    def patch(self, path: str, data: dict, **headers):
        return self.client.patch(
            path, data, content_type="application/json", **self._auth(), **headers
        )


@pytest.fixture
def issue_token():
    """Make a token for a member through the action; return its plaintext."""

    def issue(member, scopes=("read",), days=None) -> str:
        return create_token(member=member, name="test token", scopes=scopes, expires_in_days=days)[
            1
        ]

    return issue


@pytest.fixture
def api_as(issue_token):
    """Return an ApiClient for a member with the given scopes."""

    def make(member, scopes=("read",)) -> ApiClient:
        return ApiClient(issue_token(member, scopes))

    return make
