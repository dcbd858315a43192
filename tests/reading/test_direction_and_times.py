"""Right-to-left pages keep member text in its own direction; one localized time style."""

import re
from datetime import UTC, datetime

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from forum.actions import threads as actions
from forum.actions.moderation import approve, reject
from forum.models import Review
from forum.templatetags.forum import when
from tests.conftest import client_for


def test_an_arabic_page_isolates_an_english_title_and_its_question_mark(
    make_member, legal, start_thread
):
    reader = make_member(country="EG", groups=[legal], language="ar")
    author = make_member(country="CN", groups=[legal], display_name="Li Wei")
    thread = start_thread(author, title="Is the law in force?")
    page = client_for(reader).get(thread.get_absolute_url()).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert '<h1 dir="auto" class="thread-title"><bdi>Is the law in force?</bdi></h1>' in page
    # The author's name and the time are isolated from each other and from the sentence.
    assert '<bdi class="name"><a href="' in page and ">Li Wei</a></bdi>" in page
    assert re.search(r'<bdi><time class="when" datetime="[^"]+" title="[^"]+">', page)
    assert '<div class="body" dir="auto">' in page


def test_an_unclosed_right_to_left_override_stays_inside_its_title(member, start_thread):
    thread = start_thread(member, title="Override \u202eevil title")
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert "<bdi>Override \u202eevil title</bdi>" in page
    group_page = client_for(member).get(reverse("group", args=[thread.group.slug])).content
    assert "<bdi>Override \u202eevil title</bdi>" in group_page.decode()


def test_back_links_draw_their_arrow_with_css_so_it_mirrors(member, thread):
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert 'class="back"' in page and "←" not in page


def test_times_follow_each_languages_convention_never_month_first():
    moment = datetime(2026, 11, 28, 10, 22, tzinfo=UTC)
    shown = {}
    with timezone.override("UTC"):
        for language in ("en", "fr", "ar", "zh-hans"):
            with translation.override(language):
                shown[language] = str(when(moment))
    assert ">28 Nov 2026, 10:22<" in shown["en"]
    assert 'title="28 November 2026, 10:22"' in shown["en"]
    assert "28 nov" in shown["fr"] and "10:22" in shown["fr"]
    assert "2026年11月28日 10:22" in shown["zh-hans"]
    assert "نوفمبر" in shown["ar"] and "ص" in shown["ar"]  # Arabic month and the a.m. marker
    assert "11/28/2026" not in "".join(shown.values())


def test_times_are_shown_in_the_readers_zone(make_member, legal, start_thread):
    reader = make_member(country="CN", groups=[legal], time_zone="Asia/Shanghai")
    thread = start_thread(reader)
    page = client_for(reader).get(thread.get_absolute_url()).content.decode()
    local = timezone.localtime(
        thread.created_at, timezone=__import__("zoneinfo").ZoneInfo("Asia/Shanghai")
    )
    assert f'datetime="{thread.posts.get().created_at.isoformat()}"' in page
    assert local.strftime("%H:%M") in page


def test_online_list_is_hidden_until_a_script_fills_it(member, thread):
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert '<span class="meta live-online" hidden>' in page


def test_working_group_names_and_descriptions_are_translated(make_member, legal):
    reader = make_member(country="EG", groups=[legal], language="fr")
    page = client_for(reader).get(reverse("group", args=[legal.slug])).content.decode()
    with translation.override("fr"):
        name = translation.gettext(legal.name)
        description = translation.gettext(legal.description)
    assert name != legal.name and name in page
    assert escape(description) in page


def test_a_pending_own_thread_says_it_waits_for_review_in_the_list(
    cross_border_review, make_member, start_thread
):
    author = make_member(country="ZM", groups=[cross_border_review])
    start_thread(author, title="Waiting one", audience="countries", countries=["KE"])
    page = client_for(author).get(reverse("group", args=[cross_border_review.slug])).content
    row = page.decode().split("Waiting one", 1)[1].split("</li>", 1)[0]
    assert "waiting for review" in row


def test_the_author_sees_their_own_pending_edit_and_readers_the_old_text(
    cross_border_review, make_member, start_thread, moderator
):
    author = make_member(country="ZM", groups=[cross_border_review])
    reader = make_member(country="KE", groups=[cross_border_review])
    thread = start_thread(author, title="Group wide", body="First text")
    opening = thread.posts.get()
    approve(moderator=moderator, review=Review.objects.get(post=opening, state="open"))
    opening.refresh_from_db()
    # A member's edit of a cross-border post waits for review too.
    actions.edit_post(editor=author, post=opening, body="Second text", title=None)
    assert Review.objects.filter(post=opening, kind="edit", state="open").exists()
    mine = client_for(author).get(thread.get_absolute_url()).content.decode()
    theirs = client_for(reader).get(thread.get_absolute_url()).content.decode()
    assert "Second text" in mine and "First text" not in mine
    assert "waiting for review" in mine.split("Second text", 1)[1].split("</article>", 1)[0]
    assert "First text" in theirs and "Second text" not in theirs


def test_a_moderation_reason_shows_in_the_readers_current_language(
    cross_border_review, make_member, start_thread, moderator
):
    author = make_member(country="ZM", groups=[cross_border_review], language="en")
    thread = start_thread(author, audience="countries", countries=["KE"])
    review = Review.objects.get(post=thread.posts.get(), state="open")
    reject(moderator=moderator, review=review, reason="off_topic", note="See the charter.")
    type(author).objects.filter(pk=author.pk).update(language="fr")
    author.refresh_from_db()
    page = client_for(author).get(reverse("inbox")).content.decode()
    with translation.override("fr"):
        label = translation.gettext("Off topic for this working group")
    assert label != "Off topic for this working group"
    assert escape(label) in page and "See the charter." in page
