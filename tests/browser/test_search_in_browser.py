"""A demo member searches from the header box of any page, in Chinese and in Arabic."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from forum.management.commands.seed_demo import DEFAULT_PASSWORD
from tests.browser.conftest import sign_in
from tests.conftest import working_group


@pytest.fixture
def demo(server):
    for slug in ("legal-policy", "project-promotion", "meetings"):
        working_group(slug)  # a flushed database lost the data migration's groups
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


def search_from_header(page, words: str) -> None:
    page.fill("#header-search", words)
    page.press("#header-search", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))


def test_a_demo_member_finds_chinese_posts_from_the_header(new_page, demo):
    page = new_page()
    sign_in(page, "member.zm@demo.example", DEFAULT_PASSWORD)
    page.goto("/g/legal-policy/")
    search_from_header(page, "法律")
    marks = page.locator("ol.results mark")
    assert marks.count() >= 2  # the thread's title and its opening post
    assert set(marks.all_inner_texts()) == {"法律"}
    assert page.locator("ol.results a.title", has_text="中非法律合作").first.is_visible()
    # What the demo keeps to China never reaches a Zambian reader.
    assert "仅限中国成员" not in page.content()
    assert page.input_value("#header-search") == "法律"


def test_an_arabic_reader_finds_a_word_with_its_proclitic_without_javascript(browser, server, demo):
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, "member.eg@demo.example", DEFAULT_PASSWORD)
        assert page.get_attribute("html", "dir") == "rtl"
        search_from_header(page, "التعاون")
        marks = page.locator("ol.results mark")
        assert "بالتعاون" in marks.all_inner_texts()
        assert page.get_attribute("ol.results p.snippet >> nth=0", "dir") == "auto"
    finally:
        context.close()
