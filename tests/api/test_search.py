"""GET /api/v1/search: the search page's language and filters, through the same search
code, never finding what the token's owner may not see."""

from __future__ import annotations

import pytest

from forum.actions import threads as posting

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search"


@pytest.fixture
def reader(make_member, legal):
    """A member from Zambia, reading the legal-policy group."""
    return make_member(country="ZM", groups=[legal])


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [item["title"] for item in response.json()["items"]]


def test_a_token_owner_finds_what_they_may_read(start_thread, member, reader, legal, api_as):
    start_thread(member, title="Tariffs on copper", body="copper tariffs rose")
    answer = api_as(reader).get(SEARCH, {"q": "tariffs"})
    items = answer.json()["items"]
    # Relevance: a title weighs four times a body.
    assert [(item["kind"], item["title"]) for item in items] == [
        ("thread", "Tariffs on copper"),
        ("post", "Tariffs on copper"),
    ]
    assert {item["group"] for item in items} == {legal.slug}
    assert items[1]["snippet_html"] == "copper <mark>tariffs</mark> rose"
    assert all(item["author"]["handle"] == member.handle for item in items)
    assert answer.json()["next_cursor"] is None


def test_a_token_owner_never_finds_another_countrys_domestic_thread(
    start_thread, member, reader, api_as
):
    start_thread(member, title="Domestic tariffs", body="tariffs at home", audience="domestic")
    assert titles(api_as(reader).get(SEARCH, {"q": "tariffs"})) == []
    assert len(titles(api_as(member).get(SEARCH, {"q": "tariffs"}))) == 2


def test_a_token_owner_never_finds_another_groups_threads(
    start_thread, member, outsider, legal, api_as
):
    start_thread(member, title="Tariffs", body="tariffs")
    client = api_as(outsider)
    assert titles(client.get(SEARCH, {"q": "tariffs"})) == []
    # Naming the group answers like a group that does not exist: nothing, not a 404.
    assert titles(client.get(SEARCH, {"q": "tariffs", "group": legal.slug})) == []
    assert titles(client.get(SEARCH, {"q": f"tariffs group:{legal.slug}"})) == []


def test_a_token_owner_never_finds_a_pending_post(
    cross_border_review, start_thread, member, reader, moderator, api_as
):
    thread = start_thread(moderator, title="Open thread", body="hello")
    pending = posting.reply(author=member, parent=thread.posts.get(), body="secret tariffs")
    assert pending.status == "pending"
    for viewer in (reader, member, moderator):
        assert titles(api_as(viewer).get(SEARCH, {"q": "tariffs"})) == []


def test_filters_and_sort_narrow_as_on_the_search_page(start_thread, member, reader, legal, api_as):
    start_thread(member, title="Mining code", body="the mining code changed")
    client = api_as(reader)
    kinds = [
        i["kind"] for i in client.get(SEARCH, {"q": "mining", "in": "threads"}).json()["items"]
    ]
    assert kinds == ["thread"]
    kinds = [i["kind"] for i in client.get(SEARCH, {"q": "mining in:posts"}).json()["items"]]
    assert kinds == ["post"]
    only_filters = client.get(SEARCH, {"group": legal.slug, "sort": "newest"})
    assert len(titles(only_filters)) == 2
    assert titles(client.get(SEARCH, {"q": "mining", "country": "KE"})) == []


def test_results_page_with_a_cursor(start_thread, member, reader, api_as, posting_unlimited):
    for n in range(3):
        start_thread(member, title=f"Copper note {n}", body="nothing else")
    client = api_as(reader)
    first = client.get(SEARCH, {"q": "copper", "in": "threads", "sort": "newest", "limit": 2})
    assert titles(first) == ["Copper note 2", "Copper note 1"]
    cursor = first.json()["next_cursor"]
    second = client.get(
        SEARCH, {"q": "copper", "in": "threads", "sort": "newest", "limit": 2, "cursor": cursor}
    )
    assert titles(second) == ["Copper note 0"]
    assert second.json()["next_cursor"] is None
    assert titles(client.get(SEARCH, {"q": "copper", "cursor": "99999"})) == []


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("-gold", "not only what to leave out"),
        ("mining after:someday", "expects a date"),
        (" ".join(f"w{n}" for n in range(13)), "at most 12 words"),
    ],
)
def test_a_query_that_cannot_run_answers_a_422_problem_saying_why(member, api_as, query, words):
    answer = api_as(member).get(SEARCH, {"q": query})
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422
    assert problem["type"].endswith("#problem-invalid")
    assert words in problem["detail"]
    assert problem["errors"][0]["loc"] == ["query", "q"]
    assert problem["instance"] == SEARCH


def test_a_malformed_parameter_answers_a_422_problem(member, api_as):
    client = api_as(member)
    for params in (
        {"sort": "oldest"},
        {"in": "files"},
        {"limit": 101},
        {"q": "x" * 201},
        {"before": "0"},
    ):
        answer = client.get(SEARCH, {"q": "mining", **params})
        assert answer.status_code == 422, params
        assert answer["Content-Type"] == "application/problem+json"


def test_searches_count_against_the_read_limit(member, api_as, settings):
    settings.API_READS_PER_MINUTE = 2
    client = api_as(member)
    answers = [client.get(SEARCH, {"q": "mining"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1]["Retry-After"]) >= 1


def test_search_needs_the_read_scope(member, api_as):
    assert api_as(member, scopes=("write",)).get(SEARCH, {"q": "mining"}).status_code == 403


def test_dates_at_the_ends_of_the_calendar_search_in_any_time_zone(
    start_thread, make_member, legal, api_as
):
    for zone in ("Asia/Shanghai", "America/Los_Angeles"):
        member = make_member(country="CN", groups=[legal], time_zone=zone)
        client = api_as(member)
        for params in ({"after": "0001-01-01"}, {"before": "0001-01-01"}):
            assert client.get(SEARCH, params).status_code == 200, (zone, params)
        for params in ({"after": "9999-12-31"}, {"before": "9999-12-31"}):
            assert client.get(SEARCH, params).status_code == 200, (zone, params)


def test_an_empty_first_page_may_suggest_a_corrected_query(start_thread, member, reader, api_as):
    start_thread(member, title="Notes", body="copper tariffs")
    start_thread(member, title="Domestic", body="quotas", audience="domestic")
    client = api_as(reader)
    answer = client.get(SEARCH, {"q": "coper tarifs", "in": "posts"}).json()
    assert (answer["items"], answer["did_you_mean"]) == ([], "copper tariffs")
    assert titles(client.get(SEARCH, {"q": answer["did_you_mean"], "in": "posts"})) == ["Notes"]
    assert client.get(SEARCH, {"q": "tariffs"}).json()["did_you_mean"] is None
    # A word only in a thread the reader may not see is never suggested.
    assert client.get(SEARCH, {"q": "quottas"}).json()["did_you_mean"] is None
    assert api_as(member).get(SEARCH, {"q": "quottas"}).json()["did_you_mean"] == "quotas"
