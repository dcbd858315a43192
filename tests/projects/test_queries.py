"""`/projects/` and a listing page run a constant number of queries, however many
listings, countries and dockings there are."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attachments.actions import files as file_actions
from projects.actions import dockings as docking_actions
from tests.attachments import samples
from tests.attachments.conftest import file_store  # noqa: F401 (a fixture: files of their own)
from tests.conftest import client_for
from tests.projects.conftest import publish

# Session, member, inbox count and the page's own reads (filters' sectors, the list, its
# count, suggestions with the organization's profile, facilitators' stale listings); the
# header's groups are cached after a member's first page (forum/navigation.py).
LIST_QUERIES = 14
# The owner has unread notifications (the interests): the inbox count is then two
# queries (is anything unread, then the count of what is still available); two more
# read the listing's documents, however many (the files, then the owner rule asked
# about the owners that have files; one query when there is none); one reads the inbox
# position the page's live script resumes from.
LISTING_QUERIES = 12


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_runs_a_constant_number_of_queries(owner, facilitator, zm_member, person):
    client = client_for(zm_member)
    url = reverse("projects:listings")
    publish(owner, facilitator, audience="countries", countries=["ZM", "KE"])
    count(client, url)  # the partner countries are read once per process
    few = count(client, url)
    for n in range(6):
        publish(
            person("CN"),
            facilitator,
            title=f"Another listing number {n}",
            audience="countries",
            countries=["ZM", "KE", "EG"],
        )
    assert count(client, url) == few == LIST_QUERIES


def test_a_listing_page_runs_a_constant_number_of_queries(owner, facilitator, person):
    listing = publish(
        owner, facilitator, audience="countries", countries=["ZM", "KE", "EG", "ET", "UG"]
    )
    client = client_for(owner)
    url = listing.get_absolute_url()
    docking_actions.express_interest(member=person("ZM"), listing=listing, message="One.")
    first = file_actions.upload(member=owner, file=samples.upload("d.txt", b"Doc"), name="d.txt")
    file_actions.attach(member=owner, owner=listing, uploads=[first])
    count(client, url)  # content types are read once per process
    few = count(client, url)
    for n, country in enumerate(("KE", "EG", "ET", "UG")):
        docking_actions.express_interest(member=person(country), listing=listing, message="Hi.")
        document = file_actions.upload(
            member=owner, file=samples.upload(f"d{n}.txt", b"Doc %d" % n), name=f"d{n}.txt"
        )
        file_actions.attach(member=owner, owner=listing, uploads=[document])
    assert count(client, url) == few == LISTING_QUERIES
