"""Sockets admitted in batches: the same answers as one by one, in a fixed number of queries."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib import auth
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from forum.consumers import admission
from forum.consumers.groups import Opened, open_socket, open_sockets
from forum.models import Role

pytestmark = pytest.mark.django_db


def session_of(member) -> str:
    client = Client()
    client.force_login(member)
    return client.cookies["sessionid"].value


def django_says(key: str | None):
    """Django's own answer for a session key: the member, or None."""
    if not key:
        return None
    from django.contrib.sessions.backends.db import SessionStore

    member = auth.get_user(SimpleNamespace(session=SessionStore(key)))
    return member if member.is_authenticated else None


@pytest.fixture
def sessions(make_member, legal, promotion):
    """Session keys in every state that decides a connect, by name."""
    plain = make_member(country="ZM", groups=[legal])
    keys = {
        "member": session_of(plain),
        "moderator": session_of(make_member(groups=[legal], role=Role.MODERATOR)),
        "staff": session_of(make_member(staff=True)),
        "outsider": session_of(make_member(country="KE", groups=[promotion])),
        "missing": "no-such-session",
        "none": None,
    }
    inactive = make_member(groups=[legal])
    keys["inactive"] = session_of(inactive)
    inactive.is_active = False
    inactive.save()
    changed = make_member(groups=[legal])
    keys["password-changed"] = session_of(changed)
    changed.set_password("another password 2026")
    changed.save()
    expired = make_member(groups=[legal])
    keys["expired"] = session_of(expired)
    Session.objects.filter(session_key=keys["expired"]).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    keys["second-of-member"] = session_of(plain)
    return keys


def test_members_in_bulk_are_who_djangos_auth_says_for_every_session_state(sessions):
    keys = list(sessions.values())
    found = admission.members_for_sessions(keys)
    for name, key, member in zip(sessions, keys, found, strict=True):
        expected = django_says(key)
        assert (member and member.pk) == (expected and expected.pk), name


def test_members_in_bulk_cost_two_queries_however_many_sessions(
    sessions, django_assert_num_queries
):
    with django_assert_num_queries(2):
        admission.members_for_sessions(list(sessions.values()) * 5)


def test_batched_connects_answer_as_single_connects_do(sessions):
    requests = [(key, slug) for key in sessions.values() for slug in ("legal-policy", "nowhere")]
    batched = open_sockets(requests)
    for (key, slug), answer in zip(requests, batched, strict=True):
        single = open_socket(key, slug)
        assert answer == single, (key, slug)
    opened = open_sockets([(key, "legal-policy") for key in sessions.values()])
    answers = dict(zip(sessions, opened, strict=True))
    assert {name: a for name, a in answers.items() if isinstance(a, int)} == {
        "outsider": 4403,
        "missing": 4401,
        "none": 4401,
        "inactive": 4401,
        "password-changed": 4401,
        "expired": 4401,
    }
    assert answers["moderator"].reader.moderator and not answers["member"].reader.moderator
    assert answers["staff"].reader.staff and answers["staff"].reader.moderator
    assert answers["member"].reader.country == "ZM"


def test_a_batch_of_connects_costs_five_queries_whatever_its_size(
    sessions, django_assert_num_queries
):
    few = [(sessions["member"], "legal-policy")]
    many = [(key, slug) for key in sessions.values() for slug in ("legal-policy", "nowhere")] * 10
    for requests in (few, many):
        with django_assert_num_queries(5):
            answers = open_sockets(requests)
        assert isinstance(answers[0], Opened)


async def test_requests_arriving_together_share_a_database_trip():
    batches: list[list[int]] = []

    def resolve(requests: list[int]) -> list[int]:
        batches.append(requests)
        return [n * 2 for n in requests]

    batcher = admission.Batcher(resolve)
    answers = await asyncio.gather(*(batcher(n) for n in range(50)))
    assert answers == [n * 2 for n in range(50)]
    # The first request goes alone at once; everything that arrived meanwhile, together.
    assert len(batches) <= 3 and sum(map(len, batches)) == 50


async def test_a_caller_that_goes_away_does_not_break_its_batch():
    def resolve(requests: list[str]) -> list[str]:
        return [r.upper() for r in requests]

    batcher = admission.Batcher(resolve)
    first = asyncio.create_task(batcher("a"))
    leaving = asyncio.create_task(batcher("b"))
    staying = asyncio.create_task(batcher("c"))
    await asyncio.sleep(0)
    leaving.cancel()
    assert await first == "A" and await staying == "C"
    assert leaving.cancelled()


async def test_a_failing_batch_fails_its_callers_and_the_next_batch_runs():
    calls = []

    def resolve(requests: list[int]) -> list[int]:
        calls.append(list(requests))
        if len(calls) == 1:
            raise RuntimeError("database away")
        return requests

    batcher = admission.Batcher(resolve)
    with pytest.raises(RuntimeError):
        await batcher(1)
    assert await batcher(2) == 2
