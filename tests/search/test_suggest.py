""" "Did you mean": a corrected query from words the reader may see, never others."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.actions import meetings as meeting_actions
from forum.actions import moderation
from forum.actions import threads as posting
from forum.models import Review
from search.analysis import edit_distance, parse
from search.query import search
from search.suggest import did_you_mean
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(make_member, legal):
    """A member from Zambia, reading the legal-policy group."""
    return make_member(country="ZM", groups=[legal])


def suggest(viewer, text: str) -> str | None:
    query = parse(text)
    assert search(viewer, query).hits == []  # asked only when nothing was found
    return did_you_mean(viewer, query)


def test_edit_distance_counts_edits_and_stops_at_its_limit():
    assert edit_distance("tariffs", "tariffs", 2) == 0
    assert edit_distance("tarifs", "tariffs", 2) == 1
    assert edit_distance("tairffs", "tariffs", 2) == 1  # a transposition is one edit
    assert edit_distance("tax", "taxes", 1) == 2  # beyond the limit: limit + 1


def test_a_typo_finds_its_correction_in_latin_and_arabic(start_thread, member, reader):
    start_thread(member, title="Notes", body="New tariffs on copper, la coopération minière")
    start_thread(member, title="ملاحظات", body="نحو والتعاون الاقتصادي")
    assert suggest(reader, "tarifs") == "tariffs"
    assert suggest(reader, "copper tarrifs") == "copper tariffs"
    assert suggest(reader, "cooperatoin") == "cooperation"
    assert suggest(reader, "والتعاوم") == "والتعاون"
    # Filters and other words stay as typed; two typos are both corrected.
    assert suggest(reader, "coper tarifs in:posts") == "copper tariffs in:posts"


def test_nothing_is_suggested_for_han_phrases_prefixes_or_far_words(start_thread, member, reader):
    start_thread(member, title="Notes", body="中非法律合作 tariffs")
    assert suggest(reader, "法律与") is None
    assert suggest(reader, '"tarifs"') is None
    assert suggest(reader, "tarrf*") is None
    assert suggest(reader, "trfs") is None
    assert suggest(reader, "bananas") is None


def test_a_suggestion_keeps_the_query_filters(start_thread, member, reader, promotion):
    start_thread(member, title="Notes", body="tariffs")
    assert suggest(reader, "tarifs group:legal-policy") == "tariffs group:legal-policy"
    assert suggest(reader, "tarifs group:project-promotion") is None
    assert suggest(reader, "tarifs in:chat") is None


def test_words_only_in_a_domestic_thread_of_another_country_are_never_suggested(
    start_thread, member, reader
):
    start_thread(member, title="Notes", body="tariffs", audience="domestic")
    assert suggest(reader, "tarifs") is None
    assert did_you_mean(member, parse("tarifs")) == "tariffs"  # its own audience sees it


def test_words_only_in_another_group_are_never_suggested(start_thread, member, outsider):
    start_thread(member, title="Notes", body="tariffs")
    assert suggest(outsider, "tarifs") is None


def test_words_only_in_pending_rejected_or_removed_posts_are_never_suggested(
    cross_border_review, start_thread, member, reader, moderator
):
    thread = start_thread(moderator, title="Open thread", body="hello")
    opening = thread.posts.get()
    pending = posting.reply(author=member, parent=opening, body="secret tariffs")
    assert pending.status == "pending"
    assert suggest(reader, "tarifs") is None
    moderation.reject(
        moderator=moderator, review=Review.objects.get(post=pending), reason="off_topic", note=""
    )
    assert suggest(reader, "tarifs") is None
    published = posting.reply(author=moderator, parent=opening, body="quotas")
    posting.remove_post(moderator=moderator, post=published, reason="spam")
    assert suggest(reader, "quottas") is None
    assert did_you_mean(moderator, parse("quottas")) is None


def test_removed_chat_words_are_never_suggested(live_meeting, chair, reader):
    message, _ = meeting_actions.send_chat(
        author=chair, meeting=live_meeting, client_id="c1", body="tariffs in chat"
    )
    assert suggest(reader, "tarifs") == "tariffs"
    meeting_actions.remove_chat_message(member=chair, message=message, reason="off topic")
    assert suggest(reader, "tarifs") is None


def test_a_hidden_nearer_word_does_not_hide_a_visible_one(start_thread, member, reader):
    # "tarafs" (one edit from "tarifs", first in spelling order) is only in a thread
    # the reader may not see;
    # "tariffs" (also one edit) is visible: the suggestion is the visible word.
    start_thread(member, title="Notes", body="tarafs", audience="domestic")
    start_thread(member, title="Notes", body="tariffs")
    assert suggest(reader, "tarifs") == "tariffs"


def test_an_arabic_suggestion_is_checked_as_written_not_by_its_stem(start_thread, member, reader):
    # Only the bare stem is visible; the word with its proclitic is in a hidden thread.
    start_thread(member, title="Notes", body="والتعاون", audience="domestic")
    start_thread(member, title="Notes", body="تعاون")
    assert suggest(reader, "والتعاوم") is None


@pytest.mark.parametrize(
    ("text", "queries"),
    [
        ("法律与", 0),  # nothing to correct
        ("xyzzy", 1),  # the vocabulary has nothing near
        ("tarifs", 3),  # vocabulary, the words' checks, the corrected query
        ("tarifs coper quotsa", 3),
    ],
)
def test_a_suggestion_costs_a_fixed_number_of_queries(
    start_thread, member, reader, posting_unlimited, django_assert_num_queries, text, queries
):
    for n in range(3):
        start_thread(member, title=f"Notes {n}", body="tariffs copper quotas tariff tarifa")
    start_thread(member, title="Hidden", body="tarifz", audience="domestic")
    query = parse(text)
    with django_assert_num_queries(queries):
        did_you_mean(reader, query)


def test_the_page_links_the_suggestion_and_keeps_the_filters(start_thread, member, reader):
    start_thread(member, title="Notes", body="tariffs")
    client = client_for(reader)
    response = client.get(reverse("search"), {"q": "tarifs", "kind": "posts"})
    content = response.content.decode()
    assert 'class="did-you-mean"' in content
    assert 'href="?q=tariffs&amp;kind=posts"' in content
    assert response.context["suggestion"] == "tariffs"
    response = client.get(reverse("search"), {"q": "tariffs"})
    assert 'class="did-you-mean"' not in response.content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "Vouliez-vous dire"), ("zh-hans", "您是不是要找"), ("ar", "هل تقصد")],
)
def test_the_suggestion_speaks_the_readers_language(
    start_thread, member, make_member, legal, language, words
):
    start_thread(member, title="Notes", body="tariffs")
    reader = make_member(country="ZM", groups=[legal], language=language)
    content = client_for(reader).get(reverse("search"), {"q": "tarifs"}).content.decode()
    assert words in content
    assert 'dir="auto">tariffs</a>' in content


def test_the_page_costs_a_fixed_number_of_queries_with_a_suggestion(
    start_thread, member, reader, django_assert_num_queries
):
    start_thread(member, title="Notes", body="tariffs copper")
    client = client_for(reader)
    client.get(reverse("search"), {"q": "tarifs"})  # warm the session and caches
    # The page's four besides the search (search_page's own test), the search's one
    # (nothing matches, so no candidate is checked) and the suggestion's three.
    with django_assert_num_queries(8):
        client.get(reverse("search"), {"q": "tarifs"})
    with django_assert_num_queries(8):
        client.get(reverse("search"), {"q": "coper tarifs"})
