"""Live docking pages say which inbox position they were rendered at, so that their
script resumes from there: a step taken while the page loads still refreshes it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from forum import events
from forum.actions.notifications import inbox_stream
from projects.actions import dockings as docking_actions
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def rendered_seq(html: str) -> int:
    found = re.search(r'data-docking-live data-inbox-seq="(\d+)"', html)
    assert found, "a live part without its inbox position"
    return int(found.group(1))


def test_each_live_docking_page_carries_the_inbox_position_it_was_rendered_at(
    listing, owner, zm_member
):
    docking = docking_actions.express_interest(
        member=zm_member, listing=listing, message="We install scanners."
    )
    seq = events.last_seq(inbox_stream(owner.pk))
    assert seq > 0  # the interest reached the owner's inbox
    client = client_for(owner)
    for url in (
        reverse("projects:docking", kwargs={"pk": docking.pk}),
        reverse("projects:dockings"),
        reverse("projects:listing", kwargs={"pk": listing.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert rendered_seq(response.content.decode()) == seq, url
