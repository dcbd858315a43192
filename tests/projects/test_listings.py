"""Listings: moderation of publication and edits, the discussion thread, expiry,
reminders and renewal on a fixed clock, and the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from forum.models import Audience, ModerationPolicy, Notification, PostStatus
from projects.actions import listings as actions
from projects.models import Listing, ListingReview, ListingState
from tests.conftest import client_for
from tests.projects.conftest import listing_data, publish


def open_review(listing: Listing) -> ListingReview:
    return ListingReview.objects.get(listing=listing, state="open")


def test_a_submitted_listing_waits_in_the_queue_of_the_groups_moderators(owner, facilitator):
    listing = actions.create_listing(author=owner, data=listing_data(), submit=True)
    assert listing.state == ListingState.PENDING
    review = open_review(listing)
    assert review.kind == ListingReview.Kind.PUBLISH
    page = client_for(facilitator).get(reverse("queue"))
    assert page.status_code == 200
    assert listing.title in page.content.decode()
    assert reverse("projects:review", kwargs={"pk": review.pk}) in page.content.decode()


def test_approval_publishes_and_opens_a_discussion_with_the_same_audience(
    owner, facilitator, zm_member, person
):
    listing = actions.create_listing(
        author=owner, data=listing_data(), audience=Audience.COUNTRIES, countries=["ZM"]
    )
    actions.submit_listing(member=owner, listing=listing)
    # The KE moderator is outside the audience: never sees it, never decides it.
    with pytest.raises(PermissionDenied):
        actions.approve_review(moderator=facilitator, review=open_review(listing))
    zm_moderator = person("ZM", role="moderator", mfa=True)
    actions.approve_review(moderator=zm_moderator, review=open_review(listing))
    listing.refresh_from_db()
    assert listing.state == ListingState.PUBLISHED
    assert listing.expires_at - listing.published_at == timedelta(days=365)
    thread = listing.thread
    assert thread.audience == Audience.COUNTRIES
    assert sorted(thread.countries.values_list("country", flat=True)) == ["CN", "ZM"]
    opening = thread.posts.get()
    assert opening.status == PostStatus.PUBLISHED
    assert listing.get_absolute_url() in opening.body_html  # linked both ways
    page = client_for(zm_member).get(listing.get_absolute_url())
    assert reverse("thread", kwargs={"pk": thread.pk}) in page.content.decode()
    told = Notification.objects.get(recipient=owner, kind=Notification.Kind.DOCKING)
    assert told.data["event"] == "listing_approved"


def test_a_moderator_never_approves_their_own_organizations_listing(owner, person):
    colleague = person("CN", role="moderator", mfa=True)  # same organization, "Org CN"
    listing = actions.create_listing(author=owner, data=listing_data(), submit=True)
    with pytest.raises(PermissionDenied):
        actions.approve_review(moderator=colleague, review=open_review(listing))


def test_rejection_returns_the_listing_to_draft_with_the_reason(owner, facilitator):
    listing = actions.create_listing(author=owner, data=listing_data(), submit=True)
    with pytest.raises(ValidationError):
        actions.reject_review(moderator=facilitator, review=open_review(listing), note="")
    actions.reject_review(
        moderator=facilitator, review=open_review(listing), note="Name the border posts."
    )
    listing.refresh_from_db()
    assert listing.state == ListingState.DRAFT
    told = Notification.objects.get(recipient=owner, kind=Notification.Kind.DOCKING)
    assert told.data == {**told.data, "event": "listing_rejected", "note": "Name the border posts."}


def test_an_edit_of_a_published_listing_waits_and_readers_see_the_approved_text(
    owner, facilitator, zm_member
):
    listing = publish(owner, facilitator)
    review = actions.edit_listing(
        editor=owner, listing=listing, data=listing_data(title="A changed title here")
    )
    assert review is not None and review.kind == ListingReview.Kind.EDIT
    listing.refresh_from_db()
    assert listing.title == "Border surveillance equipment for Lusaka"
    assert (
        "changed title"
        not in client_for(zm_member).get(listing.get_absolute_url()).content.decode()
    )
    actions.approve_review(moderator=facilitator, review=review)
    listing.refresh_from_db()
    assert listing.title == "A changed title here"


def test_with_moderation_off_a_listing_publishes_at_once(owner, promo):
    promo.moderation_policy = ModerationPolicy.OFF
    promo.save()
    listing = actions.create_listing(author=owner, data=listing_data(), submit=True)
    assert listing.state == ListingState.PUBLISHED
    assert not ListingReview.objects.filter(listing=listing).exists()


def test_four_eyes_needs_moderators_from_two_countries(owner, facilitator, person, promo):
    promo.approvals_required = 2
    promo.save()
    second_ke = person("KE", role="moderator", mfa=True)
    zm_moderator = person("ZM", role="moderator", mfa=True)
    listing = actions.create_listing(author=owner, data=listing_data(), submit=True)
    review = actions.approve_review(moderator=facilitator, review=open_review(listing))
    assert review.state == ListingReview.State.OPEN
    review = actions.approve_review(moderator=second_ke, review=review)
    assert review.state == ListingReview.State.OPEN  # same country
    actions.approve_review(moderator=zm_moderator, review=review)
    listing.refresh_from_db()
    assert listing.state == ListingState.PUBLISHED


def test_a_bad_listing_is_refused_with_what_was_typed_kept(owner):
    client = client_for(owner)
    data = {**listing_data(title="Hi"), "audience": "group", "submit": "1"}
    response = client.post(reverse("projects:listing_new"), data)
    assert response.status_code == 200
    assert "Cameras and **control rooms**" in response.content.decode()
    assert not Listing.objects.exists()


def test_a_listing_written_through_the_page_waits_for_review(owner):
    data = {**listing_data(), "audience": "group", "submit": "1"}
    response = client_for(owner).post(reverse("projects:listing_new"), data)
    listing = Listing.objects.get()
    assert response.status_code == 302 and response["Location"] == listing.get_absolute_url()
    assert listing.state == ListingState.PENDING


# --- on a fixed clock -----------------------------------------------------------------


def test_expiry_reminds_thirty_days_before_and_expires_after_twelve_months(owner, facilitator):
    listing = publish(owner, facilitator)
    start = listing.published_at
    assert actions.remind_expiring(start + timedelta(days=334)) == 0
    assert actions.remind_expiring(start + timedelta(days=336)) == 1
    assert actions.remind_expiring(start + timedelta(days=337)) == 0  # once
    assert actions.expire_listings(start + timedelta(days=364)) == 0
    assert actions.expire_listings(start + timedelta(days=366)) == 1
    listing.refresh_from_db()
    assert listing.state == ListingState.EXPIRED
    events = list(
        Notification.objects.filter(recipient=owner, kind="docking")
        .order_by("pk")
        .values_list("data__event", flat=True)
    )
    assert events[-2:] == ["listing_expiring", "listing_expired"]


def test_one_click_renewal_brings_an_expired_listing_back_for_twelve_months(owner, facilitator):
    listing = publish(owner, facilitator)
    actions.expire_listings(listing.published_at + timedelta(days=400))
    response = client_for(owner).post(
        reverse("projects:listing_manage", kwargs={"pk": listing.pk}), {"action": "renew"}
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.state == ListingState.PUBLISHED
    assert listing.expires_at > timezone.now() + timedelta(days=364)
    assert listing.expiry_reminded_at is None


def test_pause_resume_and_close_with_an_outcome(owner, facilitator, zm_member):
    listing = publish(owner, facilitator)
    actions.pause_listing(member=owner, listing=listing)
    with pytest.raises(PermissionDenied):
        actions.resume_listing(member=zm_member, listing=listing)
    actions.resume_listing(member=owner, listing=listing)
    actions.close_listing(member=owner, listing=listing, outcome="agreement")
    listing.refresh_from_db()
    assert (listing.state, listing.outcome) == (ListingState.CLOSED, "agreement")


def test_the_scheduled_jobs_command_runs_every_job(owner, facilitator):
    from django.core.management import call_command

    listing = publish(owner, facilitator)
    Listing.objects.filter(pk=listing.pk).update(expires_at=timezone.now() - timedelta(days=1))
    call_command("run_docking_jobs", verbosity=0)
    listing.refresh_from_db()
    assert listing.state == ListingState.EXPIRED


def test_the_list_filters_on_every_field_without_javascript(owner, facilitator, zm_member):
    from tests.projects.conftest import publish, sector

    lusaka = publish(owner, facilitator)
    cairo = publish(
        owner,
        facilitator,
        kind="request",
        title="Hospital equipment in Cairo",
        sector=sector("health").pk,
        host_country="EG",
        size="under_1m",
        stage="concept",
        seeks=["partner"],
    )
    client = client_for(zm_member)
    url = reverse("projects:listings")
    cases = {
        "kind": ("request", cairo),
        "sector": (str(sector("health").pk), cairo),
        "country": ("ZM", lusaka),
        "size": ("under_1m", cairo),
        "stage": ("procurement", lusaka),
        "seeks": ("financing", lusaka),
        "q": ("cairo", cairo),
    }
    for field, (value, expected) in cases.items():
        page = client.get(url, {field: value}).content.decode()
        listed = page.split('id="listings"')[1]
        other = cairo if expected == lusaka else lusaka
        assert expected.title in listed, field
        assert other.title not in listed, field


def test_facilitators_see_listings_with_no_interest_after_30_days(owner, facilitator, zm_member):
    from tests.projects.conftest import publish

    listing = publish(owner, facilitator)
    Listing.objects.filter(pk=listing.pk).update(published_at=timezone.now() - timedelta(days=31))
    page = client_for(facilitator).get(reverse("projects:listings")).content.decode()
    assert 'id="stale"' in page and listing.title in page.split('id="stale"')[1]
    assert (
        'id="stale"' not in client_for(zm_member).get(reverse("projects:listings")).content.decode()
    )
