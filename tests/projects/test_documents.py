"""A listing's documents: attached from the create and edit forms, shown on the listing,
fetched only by whoever may see the listing in its state."""

from __future__ import annotations

import dataclasses

import pytest
from django.urls import reverse

from attachments import owners
from attachments.actions import files as file_actions
from attachments.models import Attachment
from projects.actions import listings as listing_actions
from projects.models import Listing, ListingState
from tests.access import normalized
from tests.attachments import samples
from tests.attachments.conftest import file_store  # noqa: F401 (a fixture: files of their own)
from tests.conftest import client_for
from tests.projects.conftest import listing_data, publish

pytestmark = pytest.mark.django_db


def _document(member, listing: Listing, name: str = "study.txt") -> Attachment:
    upload = file_actions.upload(
        member=member, file=samples.upload(name, b"Feasibility study", "text/plain"), name=name
    )
    file_actions.attach(member=member, owner=listing, uploads=[upload])
    return upload


def _status(member, attachment: Attachment) -> int:
    url = reverse("attachment", args=[attachment.pk])
    response = client_for(member).get(url)
    if response.status_code == 404:  # exactly the page of a file that does not exist
        other = f"/files/{attachment.pk + 1000}/"
        assert normalized(response.content, url) == normalized(
            client_for(member).get(other).content, other
        )
    return response.status_code


def _form(**overrides) -> dict:
    return {**listing_data(**overrides), "audience": "group"}


def test_listings_take_ten_documents_of_twenty_megabytes_each():
    kind = owners.kind_of(Listing)
    assert (kind.max_files, kind.max_bytes) == (10, 20 * 1024 * 1024)


def test_a_new_listing_carries_documents_shown_on_its_page(owner):
    client = client_for(owner)
    response = client.post(
        reverse("projects:listing_new"),
        {
            **_form(),
            "draft": "1",
            "files": [
                samples.upload("study.pdf", samples.pdf_bytes(pages=2)),
                samples.upload("budget.xlsx", samples.docx_bytes()),
            ],
        },
    )
    listing = Listing.objects.get()
    assert response.status_code == 302
    assert listing.state == ListingState.DRAFT
    files = list(Attachment.objects.filter(owner_id=listing.pk).order_by("position"))
    assert [a.name for a in files] == ["study.pdf", "budget.xlsx"]
    page = client.get(listing.get_absolute_url()).content.decode()
    for attachment in files:
        assert reverse("attachment", args=[attachment.pk]) in page
    form = client.get(reverse("projects:listing_new")).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="files"' in form


def test_a_refused_document_keeps_what_was_typed_and_makes_no_listing(owner):
    response = client_for(owner).post(
        reverse("projects:listing_new"),
        {
            **_form(title="Solar farms for Ndola"),
            "submit": "1",
            "files": [samples.upload("plan.pdf", b"<html><script>alert(1)</script>")],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Solar farms for Ndola" in page and "plan.pdf" in page
    assert not Listing.objects.exists()


def test_a_document_over_the_listings_own_size_limit_is_refused_by_name(
    owner, facilitator, monkeypatch
):
    listing = publish(owner, facilitator)
    small = dataclasses.replace(owners.kind_of(Listing), max_bytes=10)
    monkeypatch.setitem(owners._KINDS, "projects.listing", small)
    response = client_for(owner).post(
        reverse("projects:listing_edit", args=[listing.pk]),
        {
            **_form(title="A new title typed here"),
            "files": [samples.upload("long.txt", b"More than ten bytes of text", "text/plain")],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "long.txt" in page and "A new title typed here" in page
    assert not Attachment.objects.filter(owner_id=listing.pk).exists()


def test_an_edit_adds_documents_and_removes_chosen_ones_up_to_ten(owner, facilitator):
    listing = publish(owner, facilitator)
    first = _document(owner, listing, "first.txt")
    client = client_for(owner)
    url = reverse("projects:listing_edit", args=[listing.pk])
    assert "first.txt" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            **_form(),
            "detach": [str(first.pk)],
            "files": [samples.upload("second.txt", b"Second", "text/plain")],
        },
    )
    assert response.status_code == 302
    assert [a.name for a in Attachment.objects.filter(owner_id=listing.pk)] == ["second.txt"]
    eleven = [samples.upload(f"n{i}.txt", f"note {i}".encode()) for i in range(10)]
    response = client.post(url, {**_form(title="Eleven documents"), "files": eleven})
    assert response.status_code == 200
    assert "At most 10 files" in response.content.decode()
    assert "Eleven documents" in response.content.decode()
    assert Attachment.objects.filter(owner_id=listing.pk).count() == 1


def test_documents_follow_the_listings_audience(
    owner, facilitator, zm_member, person, outsider_ng, staff
):
    listing = publish(owner, facilitator, audience="countries", countries=["ZM", "KE"])
    document = _document(owner, listing)
    assert _status(owner, document) == 200  # the owner organization
    assert _status(zm_member, document) == 200  # in the audience
    assert _status(facilitator, document) == 200  # KE: a facilitator in the audience
    assert _status(person("EG"), document) == 404  # in the group, out of the audience
    assert _status(outsider_ng, document) == 404  # not in the group
    assert _status(staff, document) == 200


def test_a_draft_and_a_pending_listings_documents_stay_with_who_sees_them(
    owner, facilitator, zm_member, staff
):
    draft = listing_actions.create_listing(
        author=owner, data=listing_data(), audience="group", countries=(), submit=False
    )
    pending = listing_actions.create_listing(
        author=owner, data=listing_data(), audience="group", countries=(), submit=True
    )
    assert (draft.state, pending.state) == (ListingState.DRAFT, ListingState.PENDING)
    in_draft, in_pending = _document(owner, draft), _document(owner, pending)
    assert _status(owner, in_draft) == _status(owner, in_pending) == 200
    assert _status(zm_member, in_draft) == _status(zm_member, in_pending) == 404
    assert _status(facilitator, in_draft) == 404  # a draft is the organization's
    assert _status(facilitator, in_pending) == 200  # a facilitator reviews it
    assert _status(staff, in_pending) == 200
    listing_actions.approve_review(moderator=facilitator, review=pending.reviews.get())
    assert _status(zm_member, in_pending) == 200  # published: the whole audience
