"""Suggestions: scores and reasons, exclusions, only visible listings, and the digest's
bulk version agreeing with the page's."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import DigestFrequency
from projects.actions import dockings as docking_actions
from projects.digests import suggested_listings
from projects.suggestions import suggestions_for, suggestions_for_many
from tests.conftest import client_for
from tests.projects.conftest import publish, sector


def test_score_and_reasons_name_sector_country_and_what_they_seek(owner, facilitator, zm_member):
    listing = publish(owner, facilitator)
    (found,) = suggestions_for(zm_member)
    assert found.listing == listing
    assert found.score == 3
    assert found.why == "same sector · you operate in ZM · they seek equipment"


def test_better_matches_come_first(owner, facilitator, zm_member):
    weak = publish(
        owner,
        facilitator,
        title="Clinics in Cairo",
        host_country="EG",
        sector=sector("health").pk,
        seeks=["equipment"],
    )
    strong = publish(owner, facilitator)
    assert [s.listing for s in suggestions_for(zm_member)] == [strong, weak]
    assert suggestions_for(zm_member)[1].why == "they seek equipment"


def test_nothing_in_common_is_not_suggested(owner, facilitator, zm_member):
    publish(owner, facilitator, host_country="EG", sector=sector("health").pk, seeks=[])
    assert suggestions_for(zm_member) == []


def test_never_own_docking_or_not_interested_listings(owner, facilitator, zm_member, person):
    own = publish(person("ZM"), facilitator, title="Our own ZM listing here")
    docked = publish(owner, facilitator, title="Already in docking with us")
    refused = publish(owner, facilitator, title="We said not interested")
    kept = publish(owner, facilitator, title="Still a good match")
    docking_actions.express_interest(member=zm_member, listing=docked, message="Yes.")
    client_for(zm_member).post(reverse("projects:not_interested", kwargs={"pk": refused.pk}))
    shown = [s.listing for s in suggestions_for(zm_member)]
    assert shown == [kept]
    assert own not in shown


def test_only_listings_the_member_may_see(owner, facilitator, zm_member):
    publish(owner, facilitator, audience="countries", countries=["KE"])
    assert suggestions_for(zm_member) == []


def test_suggested_for_you_shows_on_the_list_with_its_reason(owner, facilitator, zm_member):
    listing = publish(owner, facilitator)
    page = client_for(zm_member).get(reverse("projects:listings")).content.decode()
    assert "Suggested for you" in page
    assert "same sector · you operate in ZM · they seek equipment" in page
    assert listing.title in page


def test_the_bulk_rule_of_the_digest_agrees_with_the_page(
    owner, facilitator, zm_member, ke_member, person
):
    publish(owner, facilitator)
    publish(
        owner, facilitator, title="For Kenya only please", audience="countries", countries=["KE"]
    )
    ke_org = ke_member.organization
    ke_org.sectors.set([sector("security-equipment")])
    members = [zm_member, ke_member, owner, person("ZM")]
    bulk = suggestions_for_many(members, limit=10)
    for member in members:
        one = [(s.listing.pk, s.why) for s in suggestions_for(member, limit=10)]
        assert [(s.listing.pk, s.why) for s in bulk.get(member.pk, [])] == one


def test_the_weekly_digest_carries_suggestions(owner, facilitator, zm_member):
    from datetime import timedelta

    from django.utils import timezone

    publish(owner, facilitator)
    since = {zm_member.pk: timezone.now() - timedelta(days=7)}
    assert suggested_listings([zm_member], since, timezone.now()) == {}  # a daily reader
    zm_member.digest_frequency = DigestFrequency.WEEKLY
    sections = suggested_listings([zm_member], since, timezone.now())
    assert "you operate in ZM" in sections[zm_member.pk].items[0].text
