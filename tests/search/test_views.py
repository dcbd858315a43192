"""The search page, the header's box and the group's box, as plain HTML forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_every_page_has_a_search_box_in_its_header(member_client, legal):
    for url in (reverse("dashboard"), reverse("group", args=[legal.slug]), reverse("inbox")):
        page = member_client.get(url).content.decode()
        assert f'action="{reverse("search")}"' in page and 'name="q"' in page, url


def test_the_group_page_has_a_box_scoped_to_the_group(member_client, legal):
    page = member_client.get(reverse("group", args=[legal.slug])).content.decode()
    assert f'<input type="hidden" name="group" value="{legal.slug}">' in page


def test_a_search_shows_group_title_author_country_date_and_a_marked_snippet(
    start_thread, member, make_member, legal
):
    reader = make_member(country="ZM", groups=[legal], time_zone="Africa/Lusaka")
    start_thread(member, title="Notes on law", body="中非法律合作 and more")
    page = client_for(reader).get(reverse("search"), {"q": "法律"}).content.decode()
    assert "<mark>法律</mark>" in page
    assert 'class="snippet" dir="auto"' in page
    assert "Notes on law" in page and "Legal policy" in page
    assert member.display_name in page and "China" in page
    # The date in the reader's zone (UTC+2), as Django formats it there.
    assert "+02:00" in page


def test_the_group_field_scopes_the_search(start_thread, member, promotion, legal):
    member.memberships.create(group=promotion, role="member")
    start_thread(member, title="Tariffs here", body="x")
    start_thread(member, group=promotion, title="Tariffs there", body="x")
    client = client_for(member)
    page = client.get(reverse("search"), {"q": "tariffs", "group": promotion.slug}).content
    assert b"Tariffs there" in page and b"Tariffs here" not in page


def test_a_too_long_query_says_why_and_keeps_what_was_typed(member_client):
    typed = "tariffs " * 30
    page = member_client.get(reverse("search"), {"q": typed}).content.decode()
    assert "at most 200 characters" in page
    assert typed.strip() in page


def test_an_empty_submitted_query_asks_for_something(member_client):
    page = member_client.get(reverse("search"), {"q": " ", "sort": "newest"}).content.decode()
    assert "Type something to search for." in page


def test_the_empty_page_shows_the_form_without_errors(member_client):
    page = member_client.get(reverse("search")).content.decode()
    assert 'role="alert"' not in page and 'name="sort"' in page


def test_filter_fields_alone_search_without_words(start_thread, member):
    start_thread(member, title="Tariffs", body="x")
    page = client_for(member).get(reverse("search"), {"kind": "threads"}).content.decode()
    assert "Tariffs" in page


def test_a_page_number_out_of_range_gives_the_first_page(start_thread, member):
    start_thread(member, title="Tariffs", body="x")
    for page in ("0", "²", "9" * 30, "-1"):
        response = client_for(member).get(reverse("search"), {"q": "tariffs", "page": page})
        assert b"Tariffs" in response.content, page


def test_the_next_page_link_keeps_the_query(start_thread, member, posting_unlimited):
    for n in range(21):
        start_thread(member, title=f"Tariffs {n}", body="x")
    page = client_for(member).get(reverse("search"), {"q": "tariffs", "kind": "threads"})
    assert b"q=tariffs&amp;kind=threads&amp;page=2" in page.content
