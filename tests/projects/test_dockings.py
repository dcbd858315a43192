"""Dockings: interest and its limits, the double opt-in, meeting slots in each party's
zone, the ICS file, the agreement, reminders and "no response" on a fixed clock, the
inbox (live events) and the digest, and concurrent accepts."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from forum import inbox
from forum.actions.notifications import inbox_stream
from forum.models import Event, Notification
from projects.actions import dockings as actions
from projects.digests import docking_steps
from projects.models import Docking, DockingState, DockingStep
from tests.conftest import client_for
from tests.projects.conftest import publish


def test_interest_is_at_most_4000_characters_and_keeps_what_was_typed(listing, zm_member):
    client = client_for(zm_member)
    url = reverse("projects:interest", kwargs={"pk": listing.pk})
    too_long = "x" * 4001
    response = client.post(url, {"message": too_long})
    assert response.status_code == 400
    assert too_long in response.content.decode()
    assert not Docking.objects.exists()
    response = client.post(url, {"message": "We make cameras."})
    docking = Docking.objects.get()
    assert response["Location"] == docking.get_absolute_url()


def test_one_open_interest_per_organization_per_listing(listing, zm_member, person):
    colleague = person("ZM")  # the same organization, "Org ZM"
    actions.express_interest(member=zm_member, listing=listing, message="First.")
    with pytest.raises(ValidationError, match="already has an open docking"):
        actions.express_interest(member=colleague, listing=listing, message="Second.")
    docking = Docking.objects.get()
    actions.close(actor=zm_member, docking=docking, action="withdraw")
    actions.express_interest(member=colleague, listing=listing, message="Again, later.")
    assert Docking.objects.count() == 2


def test_owners_cannot_dock_with_their_own_listing(listing, owner, person):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.express_interest(member=person("CN"), listing=listing, message="Us.")


def test_contact_details_open_to_the_partner_only_once_both_accepted(
    listing, owner, zm_member, ke_member
):
    page = reverse("projects:listing", kwargs={"pk": listing.pk})
    assert listing.contact_email not in client_for(zm_member).get(page).content.decode()
    assert listing.contact_email in client_for(owner).get(page).content.decode()
    docking = actions.express_interest(member=zm_member, listing=listing, message="Hello.")
    assert listing.contact_email not in client_for(zm_member).get(page).content.decode()
    actions.accept(actor=owner, docking=docking)
    assert listing.contact_email in client_for(zm_member).get(page).content.decode()
    docking_page = client_for(zm_member).get(docking.get_absolute_url()).content.decode()
    assert listing.contact_email in docking_page
    assert listing.contact_email not in client_for(ke_member).get(page).content.decode()


def test_slots_show_in_each_partys_zone_and_the_pick_gives_an_ics(listing, owner, zm_member):
    owner.time_zone = "Asia/Shanghai"
    owner.save()
    zm_member.time_zone = "Africa/Lusaka"
    zm_member.save()
    docking = actions.express_interest(member=zm_member, listing=listing, message="Hello.")
    actions.accept(actor=owner, docking=docking)
    starts = (timezone.now() + timedelta(days=10)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )  # 08:00 UTC: 10:00 in Lusaka, 16:00 in Shanghai
    client = client_for(zm_member)
    response = client.post(
        reverse("projects:docking_step", kwargs={"pk": docking.pk}),
        {
            "action": "request_meeting",
            "slot1": timezone.localtime(starts, timezone.get_fixed_timezone(120)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "slot2": timezone.localtime(
                starts + timedelta(days=1), timezone.get_fixed_timezone(120)
            ).strftime("%Y-%m-%dT%H:%M"),
            "duration": "60",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    slots = actions.current_slots(docking)
    assert [s.starts_at for s in slots] == [starts, starts + timedelta(days=1)]
    assert "10:00" in client.get(docking.get_absolute_url()).content.decode()
    owner_page = client_for(owner).get(docking.get_absolute_url()).content.decode()
    assert "16:00" in owner_page
    client_for(owner).post(
        reverse("projects:docking_step", kwargs={"pk": docking.pk}),
        {"action": "pick_slot", "slot": str(slots[0].pk)},
    )
    docking.refresh_from_db()
    assert docking.state == DockingState.SCHEDULED
    ics = client.get(reverse("projects:docking_ics", kwargs={"pk": docking.pk}))
    assert ics["Content-Type"].startswith("text/calendar")
    assert f"DTSTART:{starts:%Y%m%dT%H%M%S}Z" in ics.content.decode()


def test_an_agreement_records_date_kind_value_and_announceable(listing, owner, zm_member):
    docking = actions.express_interest(member=zm_member, listing=listing, message="Hello.")
    actions.accept(actor=owner, docking=docking)
    response = client_for(owner).post(
        reverse("projects:docking_step", kwargs={"pk": docking.pk}),
        {
            "action": "sign",
            "signed_on": date.today().isoformat(),
            "kind": "contract",
            "value": "2500000",
            "announceable": "on",
        },
    )
    assert response.status_code == 302
    docking.refresh_from_db()
    assert docking.state == DockingState.SIGNED
    assert (docking.agreement_kind, docking.announceable) == ("contract", True)
    assert docking.agreement_value == 2_500_000


def test_a_refused_step_answers_with_a_clear_message(listing, owner, zm_member):
    docking = actions.express_interest(member=zm_member, listing=listing, message="Hello.")
    response = client_for(zm_member).post(
        reverse("projects:docking_step", kwargs={"pk": docking.pk}),
        {"action": "sign", "signed_on": date.today().isoformat(), "kind": "mou"},
    )
    assert response.status_code == 400
    assert "this docking is interested" in response.content.decode()


# --- on a fixed clock ---------------------------------------------------------------


def test_unanswered_interest_is_reminded_at_7_days_and_closed_at_21(listing, zm_member, settings):
    docking = actions.express_interest(member=zm_member, listing=listing, message="Hello.")
    start = docking.created_at
    assert actions.remind_unanswered(start + timedelta(days=6)) == 0
    assert actions.remind_unanswered(start + timedelta(days=7, minutes=1)) == 1
    assert actions.remind_unanswered(start + timedelta(days=8)) == 0
    assert actions.close_unanswered(start + timedelta(days=20)) == 0
    assert actions.close_unanswered(start + timedelta(days=21, minutes=1)) == 1
    docking.refresh_from_db()
    assert (docking.state, docking.close_reason) == (DockingState.CLOSED, "no_response")
    assert list(docking.steps.values_list("action", flat=True)) == [
        "express_interest",
        "remind",
        "no_response",
    ]
    settings.PROJECTS_NO_RESPONSE_DAYS = 3  # the delay is a setting
    second = actions.express_interest(member=zm_member, listing=listing, message="Again.")
    assert actions.close_unanswered(second.created_at + timedelta(days=3, minutes=1)) == 1


# --- inbox and digest -----------------------------------------------------------------


def test_every_step_reaches_both_organizations_inboxes_live(
    listing, owner, zm_member, person, django_capture_on_commit_callbacks
):
    colleague = person("CN")
    with django_capture_on_commit_callbacks(execute=True):
        docking = actions.express_interest(member=zm_member, listing=listing, message="Hello.")
    for member in (owner, colleague):
        items = inbox.items(member, inbox.notifications_for(member))
        assert items[0].url == docking.get_absolute_url()
        assert items[0].data["action"] == "express_interest"
        event = Event.objects.filter(stream__key=inbox_stream(member.pk)).latest("seq")
        assert event.payload["kind"] == "docking"
        assert "Hello" not in str(event.payload)  # ids only on the wire
    assert not Notification.objects.filter(recipient=zm_member).exists()  # not the actor
    with django_capture_on_commit_callbacks(execute=True):
        actions.accept(actor=owner, docking=docking)
    assert Notification.objects.filter(recipient=zm_member, kind="docking").count() == 2
    page = client_for(zm_member).get(reverse("inbox")).content.decode()
    assert "Introduced" in page


def test_an_inbox_item_about_a_docking_no_longer_visible_shows_nothing_of_it(
    listing, owner, zm_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        docking = actions.express_interest(member=zm_member, listing=listing, message="Hello.")
    assert inbox.items(owner, inbox.notifications_for(owner))[0].url == docking.get_absolute_url()
    owner.organization = None
    owner.save()
    items = inbox.items(owner, inbox.notifications_for(owner))
    assert items[0].url is None and items[0].data == {}
    page = client_for(owner).get(reverse("inbox")).content.decode()
    assert docking.get_absolute_url() not in page
    assert "is interested in" not in page


def test_the_digest_lists_the_steps_of_my_organizations_dockings(listing, owner, zm_member):
    before = timezone.now() - timedelta(minutes=1)
    docking = actions.express_interest(member=zm_member, listing=listing, message="Hello.")
    actions.accept(actor=owner, docking=docking)
    until = timezone.now() + timedelta(minutes=1)
    sections = docking_steps([owner, zm_member], {owner.pk: before, zm_member.pk: before}, until)
    owner_lines = [item.text for item in sections[owner.pk].items]
    assert any("expressed interest" in line for line in owner_lines)
    assert all("accepted the introduction" not in line for line in owner_lines[:1])
    partner_lines = [item.text for item in sections[zm_member.pk].items]
    assert any("accepted" in line for line in partner_lines)


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_accepts_make_one_step(promo, person):
    from tests.projects.conftest import listing_data  # noqa: F401

    owner = person("CN")
    facilitator = person("KE", role="moderator", mfa=True)
    partner = person("ZM")
    listing = publish(owner, facilitator)
    docking = actions.express_interest(member=partner, listing=listing, message="Hello.")
    owners = [owner] + [person("CN") for _ in range(9)]
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def one_accept(member):
        try:
            barrier.wait()
            actions.accept(actor=member, docking=docking)
            outcomes.append("accepted")
        except ValidationError as refused:
            outcomes.append("refused: " + " ".join(refused.messages))
        finally:
            connection.close()

    workers = [threading.Thread(target=one_accept, args=(m,)) for m in owners]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert outcomes.count("accepted") == 1, outcomes
    assert len(outcomes) == 10
    assert DockingStep.objects.filter(docking=docking, action="accept").count() == 1
    assert DockingStep.objects.filter(docking=docking, action="introduced").count() == 1
    assert Docking.objects.get(pk=docking.pk).state == DockingState.INTRODUCED
