"""The endpoint rule is the forum's one rule: what an endpoint receives, every member of
the group (or of its bound country) may read."""

from __future__ import annotations

import itertools

from forum.models import Audience, PostStatus
from forum.visibility import Reader, Scope
from webhooks.visibility import endpoint_receives

COUNTRIES = ("CN", "ZM", "KE")
SCOPES = [
    (Audience.GROUP, Scope()),
    *[(Audience.DOMESTIC, Scope(countries=frozenset({c}))) for c in COUNTRIES],
    (Audience.COUNTRIES, Scope(countries=frozenset({"CN", "ZM"}))),
    (Audience.COUNTRIES, Scope(countries=frozenset({"KE"}))),
]
STATUSES = [PostStatus.PUBLISHED, PostStatus.PENDING, PostStatus.REJECTED]


def plain_reader(country: str) -> Reader:
    return Reader(member_id=0, country=country, staff=False, moderator=False)


def test_an_endpoint_receives_only_what_all_its_readers_may_read():
    sent = []
    for (audience, scope), status, bound in itertools.product(SCOPES, STATUSES, ("", *COUNTRIES)):
        scoped = scope.for_post(status, author_id=7)
        if endpoint_receives(bound, scoped, audience):
            readers = [plain_reader(bound)] if bound else [plain_reader(c) for c in COUNTRIES]
            assert all(scoped.admits(reader) for reader in readers), (audience, scope, bound)
            sent.append((audience, status, bound))
    # Published whole-group content to all four endpoints, and each country's domestic
    # content to the endpoint bound to it: nothing else.
    assert sorted(sent) == sorted(
        [(Audience.GROUP, PostStatus.PUBLISHED, bound) for bound in ("", *COUNTRIES)]
        + [(Audience.DOMESTIC, PostStatus.PUBLISHED, country) for country in COUNTRIES]
    )


def test_whole_group_content_reaches_every_endpoint_and_domestic_only_its_country():
    assert endpoint_receives("", Scope(), Audience.GROUP)
    assert endpoint_receives("ZM", Scope(), Audience.GROUP)
    domestic = Scope(countries=frozenset({"ZM"}))
    assert endpoint_receives("ZM", domestic, Audience.DOMESTIC)
    assert not endpoint_receives("", domestic, Audience.DOMESTIC)
    assert not endpoint_receives("CN", domestic, Audience.DOMESTIC)
    # A selection of countries goes nowhere, even when it is one country.
    assert not endpoint_receives("ZM", domestic, Audience.COUNTRIES)
    assert not endpoint_receives("ZM", Scope().pending(), Audience.GROUP)
