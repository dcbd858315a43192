"""The one text-analysis module: what is stored and what is asked agree."""

from __future__ import annotations

from datetime import date

import pytest

from search.analysis import (
    QueryError,
    index_text,
    match_spans,
    normalize,
    parse,
    strip_proclitic,
)


def tokens(text: str) -> list[str]:
    return index_text(text).split()


def test_nfkc_and_casefold_fold_widths_and_cases():
    assert normalize("ＡＢＣ Straße") == "abc strasse"


def test_latin_accents_are_removed_both_ways():
    assert tokens("Coopération") == ["cooperation"]
    assert parse("coopération").fts5() == parse("cooperation").fts5()


def test_accents_on_other_scripts_are_kept():
    # Only marks on Latin letters go; a Cyrillic й keeps its breve.
    assert tokens("й") == ["й"]


def test_apostrophes_are_spaces():
    assert tokens("l’économie d'Afrique") == ["l", "economie", "d", "afrique"]


def test_arabic_tashkeel_tatweel_and_letter_folds():
    assert tokens("مُحَمَّدٌ") == ["محمد"]
    assert tokens("تـــعاون") == ["تعاون"]
    assert tokens("أإآ") == ["ااا"]
    assert tokens("مستشفى مدرسة") == ["مستشفي", "مدرسه"]


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("والتعاون", "تعاون"),
        ("بالتعاون", "تعاون"),
        ("التعاون", "تعاون"),
        ("للتعاون", "تعاون"),
        ("وتعاون", "تعاون"),
        ("فتعاون", "تعاون"),
        ("كتعاون", "تعاون"),
        ("لتعاون", "تعاون"),
        ("بتعاون", "تعاون"),
        ("بلد", "بلد"),  # too short to hold a proclitic
        ("cooperation", "cooperation"),
    ],
)
def test_proclitics_come_off(word, stem):
    assert strip_proclitic(word) == stem


def test_arabic_words_are_indexed_as_written_and_without_their_proclitic():
    assert tokens("والتعاون الاقتصادي") == ["والتعاون", "الاقتصادي", "تعاون", "اقتصادي"]


def test_han_runs_give_characters_then_adjacent_bigrams():
    assert tokens("中非法律合作") == [
        *"中非法律合作",
        *["中非", "非法", "法律", "律合", "合作"],
    ]


def test_han_query_of_two_or_more_characters_is_a_phrase_of_bigrams():
    assert parse("法律合作").fts5() == '"法律 律合 合作"'
    assert parse("法律合作").tsquery() == "('法律' <-> '律合' <-> '合作')"
    assert parse("法").fts5() == '"法"'


def test_mixed_runs_split_han_from_other_letters():
    assert tokens("2026年法律") == ["2026", *"年法律", "年法", "法律"]


def test_words_phrases_exclusions_and_filters_are_parsed():
    query = parse(
        'mining "code minier" -gold group:legal-policy author:@wang country:ke '
        "after:2026-01-01 before:2026-02-01 in:posts,chat"
    )
    assert query.fts5() == '("mining" AND "code minier") NOT ("gold")'
    assert query.tsquery() == "('mining') & ('code' <-> 'minier') & !('gold')"
    assert (query.group, query.author, query.country) == ("legal-policy", "wang", "KE")
    assert (query.after, query.before) == (date(2026, 1, 1), date(2026, 2, 1))
    assert query.kinds == {"posts", "chat"}


def test_a_word_ending_in_a_star_is_a_prefix():
    assert parse("coop*").fts5() == '"coop" *'
    assert parse("coop*").tsquery() == "('coop':*)"


def test_an_arabic_query_word_with_a_proclitic_matches_either_form():
    # Either form of the word is indexed under its stem too: the stem finds them all.
    assert parse("التعاون").terms[0].alternatives == (("التعاون",), ("تعاون",))
    assert parse("التعاون").fts5() == '"تعاون"'
    assert parse("التعاون").tsquery() == "('تعاون')"
    assert parse("التعاون*").tsquery() == "('تعاون':*)"
    assert parse("-التعاون law").fts5() == '("law") NOT ("تعاون")'
    assert parse("التعاون").highlight()[0] == {"التعاون", "تعاون"}


def test_an_unknown_key_is_searched_as_words():
    assert parse("http://example.org").fts5() == '"http example org"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Type something"),
        ("   ", "Type something"),
        ("x" * 201, "at most 200 characters"),
        ("-gold", "not only what to leave out"),
        ("after:yesterday law", "expects a date"),
        ("in:files law", "threads, posts or chat"),
        ("country:kenya law", "two-letter"),
    ],
)
def test_bad_queries_get_a_clear_message(text, message):
    with pytest.raises(QueryError, match=message):
        parse(text)


def test_a_query_of_200_characters_is_accepted():
    assert parse("x" * 200).terms


def test_match_spans_find_words_as_written():
    text = "La Coopération minière — 中非法律合作 والتعاون"
    found = [text[s:e] for s, e in match_spans(text, *parse("cooperation 法律 تعاون").highlight())]
    assert found == ["Coopération", "法律", "والتعاون"]


def test_match_spans_mark_prefixes():
    text = "cooperative cooperation coop"
    tokens_, prefixes = parse("cooper*").highlight()
    found = [text[s:e] for s, e in match_spans(text, tokens_, prefixes)]
    assert found == ["cooperative", "cooperation"]
