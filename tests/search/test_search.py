"""Finding words in four languages, only among what the reader may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.actions import meetings as meeting_actions
from forum.actions import moderation
from forum.actions import threads as posting
from forum.models import Review
from search.analysis import parse
from search.models import Entry
from search.query import matching_entries, search
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def found(viewer, text: str, **kwargs) -> set[str]:
    """What `viewer` finds with `text`: thread titles and post or chat texts."""
    titles = set()
    for hit in search(viewer, parse(text), **kwargs).hits:
        titles.add(hit.snippet.replace("<mark>", "").replace("</mark>", ""))
    return titles


def finds(viewer, text: str) -> set[int]:
    """The ids of posts `viewer` finds with `text`."""
    return {e.post_id for e in matching_entries(viewer, parse(text)).filter(post__isnull=False)}


@pytest.fixture
def reader(make_member, legal):
    """A member from Zambia, reading the legal-policy group."""
    return make_member(country="ZM", groups=[legal])


def test_chinese_two_and_one_character_queries_find_a_longer_run(start_thread, member, reader):
    thread = start_thread(member, title="Notes", body="中非法律合作")
    post = thread.posts.get()
    assert finds(reader, "法律") == {post.pk}
    assert finds(reader, "法") == {post.pk}
    assert finds(reader, "法律合作") == {post.pk}


def test_a_chinese_phrase_needs_its_characters_together(start_thread, member, reader):
    start_thread(member, title="Notes", body="法律与合作")
    assert finds(reader, "法律合作") == set()
    assert finds(reader, "法律") != set()


def test_arabic_finds_a_word_with_its_proclitic(start_thread, member, reader):
    post = start_thread(member, title="Notes", body="نحو والتعاون الاقتصادي").posts.get()
    assert finds(reader, "تعاون") == {post.pk}
    assert finds(reader, "التعاون") == {post.pk}
    assert finds(reader, "الاقتصادي") == {post.pk}


def test_french_finds_without_accents_and_back(start_thread, member, reader):
    accented = start_thread(member, title="Notes", body="La Coopération minière").posts.get()
    plain = start_thread(member, title="Notes", body="cooperation on mining").posts.get()
    assert finds(reader, "cooperation") == {accented.pk, plain.pk}
    assert finds(reader, "coopération") == {accented.pk, plain.pk}


def test_a_quoted_phrase_is_a_phrase(start_thread, member, reader):
    phrase = start_thread(member, title="Notes", body="The new mining code of Zambia").posts.get()
    start_thread(member, title="Notes", body="A code for mining licences")
    assert finds(reader, '"mining code"') == {phrase.pk}
    assert len(finds(reader, "mining code")) == 2


def test_excluded_words_leave_results_out(start_thread, member, reader):
    gold = start_thread(member, title="Notes", body="mining gold").posts.get()
    copper = start_thread(member, title="Notes", body="mining copper").posts.get()
    assert finds(reader, "mining -gold") == {copper.pk}
    assert finds(reader, "mining -copper") == {gold.pk}


def test_titles_rank_above_bodies(start_thread, member, reader):
    start_thread(member, title="Ordinary notes", body="about tariffs")
    titled = start_thread(member, title="Tariffs", body="see below")
    hits = search(reader, parse("tariffs")).hits
    assert hits[0].kind == "thread" and hits[0].url == titled.get_absolute_url()


def test_filters_narrow_by_group_author_country_date_and_kind(
    start_thread, make_member, member, reader, promotion, live_meeting, chair
):
    reader_of_both = make_member(country="ZM", groups=[promotion])
    reader_of_both.memberships.create(group=member.memberships.get().group, role="member")
    start_thread(member, title="Mining in legal", body="mining")
    start_thread(reader_of_both, group=promotion, title="Mining in promotion", body="mining")
    meeting_actions.send_chat(author=chair, meeting=live_meeting, client_id="c1", body="mining")
    everything = search(reader_of_both, parse("mining")).hits
    assert {hit.kind for hit in everything} == {"thread", "post", "chat"}

    def kinds_and_groups(text):
        return {(h.kind, h.group.slug) for h in search(reader_of_both, parse(text)).hits}

    assert kinds_and_groups("mining group:project-promotion") == {
        ("thread", "project-promotion"),
        ("post", "project-promotion"),
    }
    assert kinds_and_groups("mining in:chat") == {("chat", "legal-policy")}
    assert kinds_and_groups(f"mining author:{chair.handle}") == {("chat", "legal-policy")}
    assert kinds_and_groups("mining country:EG") == {("chat", "legal-policy")}
    assert kinds_and_groups("mining after:2000-01-01 before:2000-01-02") == set()
    assert len(kinds_and_groups("mining after:2000-01-01")) == 5


def test_other_countries_domestic_threads_are_never_found(start_thread, member, reader):
    start_thread(member, title="Domestic tariffs", body="tariffs at home", audience="domestic")
    assert search(reader, parse("tariffs")).hits == []
    assert len(search(member, parse("tariffs")).hits) == 2


def test_other_groups_are_never_found(start_thread, member, outsider):
    start_thread(member, title="Tariffs", body="tariffs")
    assert search(outsider, parse("tariffs")).hits == []


def test_pending_and_rejected_posts_are_not_found(
    cross_border_review, start_thread, make_member, member, reader, moderator
):
    thread = start_thread(moderator, title="Open thread", body="hello")
    pending = posting.reply(author=member, parent=thread.posts.get(), body="secret tariffs")
    assert pending.status == "pending"
    assert finds(reader, "tariffs") == set()
    review = Review.objects.get(post=pending)
    moderation.reject(moderator=moderator, review=review, reason="off_topic", note="")
    assert finds(reader, "tariffs") == set()
    assert not Entry.objects.filter(post=pending).exists()


def test_a_post_is_findable_once_approved(
    cross_border_review, start_thread, member, reader, moderator
):
    thread = start_thread(moderator, title="Open thread", body="hello")
    pending = posting.reply(author=member, parent=thread.posts.get(), body="tariffs")
    moderation.approve(moderator=moderator, review=Review.objects.get(post=pending))
    assert finds(reader, "tariffs") == {pending.pk}


def test_a_pending_edit_is_not_found_until_approved(
    cross_border_review, start_thread, member, reader, moderator
):
    thread = start_thread(moderator, title="Open thread", body="hello")
    post = posting.reply(author=member, parent=thread.posts.get(), body="tariffs")
    moderation.approve(moderator=moderator, review=Review.objects.get(post=post))
    post.refresh_from_db()
    posting.edit_post(editor=member, post=post, body="quotas")
    assert finds(reader, "quotas") == set()
    assert finds(reader, "tariffs") == {post.pk}
    moderation.approve(moderator=moderator, review=Review.objects.get(post=post, state="open"))
    assert finds(reader, "quotas") == {post.pk}
    assert finds(reader, "tariffs") == set()


def test_an_edit_updates_the_index_at_once(start_thread, member, reader):
    post = start_thread(member, title="Notes", body="tariffs").posts.get()
    posting.edit_post(editor=member, post=post, body="quotas", title="Quota notes")
    assert finds(reader, "quotas") == {post.pk}
    assert finds(reader, "tariffs") == set()
    assert [h.kind for h in search(reader, parse("quota")).hits] == ["thread"]


def test_a_removed_post_leaves_the_index_and_comes_back_restored(
    start_thread, member, reader, moderator
):
    thread = start_thread(member, title="Notes", body="hello")
    post = posting.reply(author=reader, parent=thread.posts.get(), body="tariffs")
    posting.remove_post(moderator=moderator, post=post, reason="spam")
    assert finds(reader, "tariffs") == set()
    assert finds(moderator, "tariffs") == set()
    posting.restore_post(moderator=moderator, post=post)
    assert finds(reader, "tariffs") == {post.pk}


def test_removed_chat_messages_are_not_found(live_meeting, chair, reader):
    message, _ = meeting_actions.send_chat(
        author=chair, meeting=live_meeting, client_id="c1", body="tariffs in chat"
    )
    assert [h.kind for h in search(reader, parse("tariffs")).hits] == ["chat"]
    meeting_actions.remove_chat_message(member=chair, message=message, reason="off topic")
    assert search(reader, parse("tariffs")).hits == []


def test_a_script_in_a_post_shows_as_text_in_its_snippet(start_thread, member, reader):
    start_thread(member, title="Notes", body="`<script>alert(1)</script>` tariffs")
    (hit,) = [h for h in search(reader, parse("tariffs")).hits if h.kind == "post"]
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit.snippet
    assert "<mark>tariffs</mark>" in hit.snippet


def test_snippets_hold_at_most_three_fragments_around_matches(start_thread, member, reader):
    filler = "lorem ipsum dolor sit amet " * 20
    body = f"{filler} tariffs {filler} tariffs {filler} tariffs {filler} tariffs {filler}"
    start_thread(member, title="Notes", body=body)
    (hit,) = [h for h in search(reader, parse("tariffs")).hits if h.kind == "post"]
    assert hit.snippet.count("<mark>") == 3
    assert len(hit.snippet) < 3 * 160 + 200


def test_results_come_twenty_a_page(start_thread, member, reader, posting_unlimited):
    for n in range(21):
        start_thread(member, title=f"Thread {n}", body="hello")
    first = search(reader, parse("thread"), sort="newest")
    second = search(reader, parse("thread"), sort="newest", page=2)
    assert (len(first.hits), first.has_next) == (20, True)
    assert (len(second.hits), second.has_next) == (1, False)
    assert first.hits[0].title == "Thread 20"


@pytest.mark.parametrize("words", ["tariffs", "法律 合作", '"mining code" -gold in:posts'])
def test_a_search_costs_three_queries(
    start_thread, member, reader, live_meeting, chair, words, django_assert_num_queries
):
    """The best matches, which of them the reader may read, the page's rows."""
    start_thread(member, title="Tariffs 法律", body="mining code tariffs 法律合作")
    meeting_actions.send_chat(author=chair, meeting=live_meeting, client_id="c1", body="tariffs")
    parsed = parse(words)
    for sort in ("relevance", "newest"):
        with django_assert_num_queries(3):
            assert search(reader, parsed, sort=sort).hits


@pytest.fixture
def few_candidates(monkeypatch):
    """Rank only a page's worth of best matches before asking the rule."""
    from search import query

    monkeypatch.setattr(query, "CANDIDATES", 1)
    monkeypatch.setattr(query, "CANDIDATES_MIN", 1)


def test_results_are_the_rules_order_when_the_best_matches_are_hidden(
    start_thread, member, reader, posting_unlimited, few_candidates, django_assert_num_queries
):
    """Domestic threads of China rank first (their titles repeat the word); the Zambian
    reader may read none of them: the search ranks every match they may read instead,
    one query more, and finds exactly what the rule's own ordering gives."""
    for n in range(30):
        start_thread(member, title=f"Tariffs tariffs {n}", body="tariffs", audience="domestic")
    for n in range(25):
        start_thread(member, title=f"Open notes {n}", body=f"tariffs and {n} other words")
    expected = list(matching_entries(reader, parse("tariffs")).values_list("pk", flat=True))
    assert len(expected) == 25
    with django_assert_num_queries(4):
        first = search(reader, parse("tariffs"))
    second = search(reader, parse("tariffs"), page=2)
    assert (len(first.hits), first.has_next, len(second.hits), second.has_next) == (
        20,
        True,
        5,
        False,
    )
    entries = Entry.objects.in_bulk(expected)
    assert [h.url for h in first.hits + second.hits] == [
        entries[pk].post.get_absolute_url() for pk in expected
    ]
    assert all("Open notes" in h.title for h in first.hits + second.hits)


def test_results_keep_the_rules_order_when_the_best_matches_are_readable(
    start_thread, member, reader, posting_unlimited
):
    for n in range(30):
        start_thread(member, title=f"Notes {n}", body="tariffs " * (n % 5 + 1) + "and more")
    expected = list(matching_entries(reader, parse("tariffs")).values_list("pk", flat=True))
    entries = Entry.objects.in_bulk(expected)
    pages = [search(reader, parse("tariffs"), page=p) for p in (1, 2)]
    urls = [h.url for page in pages for h in page.hits]
    assert urls == [entries[pk].post.get_absolute_url() for pk in expected]
    assert (pages[0].has_next, pages[1].has_next) == (True, False)


def test_the_page_costs_the_same_queries_whatever_the_results(
    start_thread, member, reader, posting_unlimited, django_assert_num_queries
):
    client = client_for(reader)
    start_thread(member, title="Tariffs", body="tariffs")
    client.get(reverse("search"), {"q": "tariffs"})  # warm the session and caches
    # Session, member, inbox count, the form's groups, the search's three (the header's
    # groups are cached: forum/navigation.py).
    with django_assert_num_queries(7):
        client.get(reverse("search"), {"q": "tariffs"})
    for n in range(5):
        start_thread(member, title=f"Tariffs {n}", body="tariffs")
    with django_assert_num_queries(7):
        response = client.get(reverse("search"), {"q": "tariffs"})
    assert response.content.count(b'class="result ') == 12
