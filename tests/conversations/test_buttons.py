"""The "Message" button appears exactly where a send would be allowed: per policy, role,
shared group and block, on profiles and on member lists, in a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations import visibility as rules
from conversations.actions import safety
from forum.models import Role
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def button(handle: str) -> str:
    return f"/messages/new/?to={handle}"


def offered(viewer, path: str, other) -> bool:
    response = client_for(viewer).get(path)
    assert response.status_code == 200
    return button(other.handle) in response.content.decode()


def may_start(sender, recipient) -> bool:
    """What the write action answers, asked without writing."""
    try:
        rules.check_may_write_to(sender, [recipient])
    except Exception:  # Http404 or CannotMessage
        return False
    return True


@pytest.mark.parametrize("policy", ["shared group", "same group only", "same country only", "off"])
@pytest.mark.parametrize("role", [Role.MEMBER, Role.MODERATOR, Role.CHAIR])
def test_buttons_follow_the_policy_for_every_role(settings, make_member, legal, policy, role):
    settings.DM_POLICY = policy
    viewer = make_member(country="CN", groups=[legal], role=role, mfa=role != Role.MEMBER)
    same_country = make_member(country="CN", groups=[legal])
    other_country = make_member(country="ZM", groups=[legal])
    expected = {
        "shared group": (True, True),
        "same group only": (True, True),
        "same country only": (True, False),
        "off": (False, False),
    }[policy]
    for other, wanted in zip((same_country, other_country), expected, strict=True):
        assert may_start(viewer, other) is wanted
        assert offered(viewer, "/g/legal-policy/people/", other) is wanted
        assert offered(viewer, f"/members/{other.handle}/", other) is wanted
    # Never a button to oneself.
    assert not offered(viewer, "/g/legal-policy/people/", viewer)


def test_no_button_for_a_member_who_shares_no_group(make_member, legal, promotion, staff):
    viewer = make_member(country="CN", groups=[legal, promotion])
    elsewhere = make_member(country="CN", groups=[promotion])
    assert offered(viewer, "/g/project-promotion/people/", elsewhere)
    # Staff see the member list but share no group with anyone in it: no button.
    assert not offered(staff, "/g/project-promotion/people/", elsewhere)
    assert not may_start(staff, elsewhere)


def test_a_block_removes_the_button_for_the_blocked_member_only(member, other_country_member):
    safety.block(blocker=other_country_member, blocked=member)
    assert not may_start(member, other_country_member)
    assert not offered(member, "/g/legal-policy/people/", other_country_member)
    assert not offered(member, f"/members/{other_country_member.handle}/", other_country_member)
    # The blocker may still write first (the send rule lets them): their button stays.
    assert may_start(other_country_member, member)
    assert offered(other_country_member, "/g/legal-policy/people/", member)


def test_the_rule_and_the_member_list_cost_a_constant_number_of_queries(make_member, legal, member):
    def list_queries() -> int:
        client = client_for(member)
        client.get("/g/legal-policy/people/")  # warm the header's caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/g/legal-policy/people/").status_code == 200
        return len(queries)

    others = [make_member(country="ZM", groups=[legal]) for _ in range(3)]
    small = list_queries()
    blockers = [make_member(country="KE", groups=[legal]) for _ in range(6)]
    for blocker in blockers:
        safety.block(blocker=blocker, blocked=member)
    assert list_queries() == small
    with CaptureQueriesContext(connection) as queries:
        allowed = rules.may_message(member, [m.pk for m in [*others, *blockers]])
    assert len(queries) == 2
    assert allowed == {m.pk for m in others}
