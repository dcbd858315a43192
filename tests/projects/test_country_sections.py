"""What the country pages and the annual report read from the docking platform."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from countries.sections import project_sections
from projects import visibility
from projects.actions import dockings as actions
from tests.projects.conftest import publish

pytestmark = pytest.mark.django_db


def signed(listing, owner, partner, *, announceable: bool):
    docking = actions.express_interest(member=partner, listing=listing, message="Interested.")
    actions.accept(actor=owner, docking=docking)
    soon = timezone.now() + timedelta(days=3)
    actions.request_meeting(
        actor=partner, docking=docking, slots=[(soon, soon + timedelta(hours=1))]
    )
    actions.pick_slot(actor=owner, docking=docking, slot_id=actions.current_slots(docking)[0].pk)
    return actions.sign(
        actor=owner, docking=docking, signed_on=date.today(), kind="mou", announceable=announceable
    )


def test_country_sections_count_what_the_reader_and_every_partner_may_see(
    owner, facilitator, zm_member, ke_member, person
):
    from forum.models import Role

    zambian_moderator = person("ZM", role=Role.MODERATOR, mfa=True, handle="fac-zm-sections")
    whole = publish(owner, facilitator, title="For every partner in Zambia")
    narrow = publish(
        owner, zambian_moderator, title="For Zambia only", audience="countries", countries=["ZM"]
    )
    signed(whole, owner, zm_member, announceable=True)
    signed(narrow, owner, zm_member, announceable=True)
    mine = project_sections(zm_member, "ZM")
    assert {listing.pk for listing in mine.listings} == {whole.pk, narrow.pk}
    assert mine.agreement_count == 2
    kenyan = project_sections(ke_member, "ZM")
    assert {listing.pk for listing in kenyan.listings} == {whole.pk}
    assert kenyan.agreement_count == 1
    partners = project_sections(None, "ZM", partners=True)
    assert {listing.pk for listing in partners.listings} == {whole.pk}
    assert partners.agreement_count == 1
    assert project_sections(zm_member, "KE").listing_count == 0


def test_a_draft_is_not_a_listing_hosted_in_the_country(owner, facilitator):
    from projects.actions import listings as listing_actions
    from tests.projects.conftest import listing_data

    draft = listing_actions.create_listing(
        author=owner, data=listing_data(), audience="group", countries=(), submit=False
    )
    assert draft in visibility.visible_listings(owner)
    assert draft not in visibility.published_listings(owner)
    assert draft.pk not in {listing.pk for listing in project_sections(owner, "ZM").listings}
