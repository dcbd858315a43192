"""Reading and writing in a real browser: right-to-left, unread position, drafts,
reactions and posts arriving live, the phone header and dark mode. Screenshots go to
var/artifacts/screenshots/ (kept by CI)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from forum.actions import reading
from forum.actions import threads as actions
from forum.models import Post, Thread
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import PASSWORD

SHOTS = Path("var/artifacts/screenshots")
pytestmark = pytest.mark.usefixtures("posting_unlimited")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def arabic_reader(make_member, legal):
    return make_member(country="EG", groups=[legal], language="ar", display_name="أمينة")


@pytest.fixture
def talk(member, other_country_member, legal):
    thread = actions.create_thread(
        author=member, group=legal, title="Is the law in force?", body="Opening **post**"
    )
    opening = thread.posts.get()
    first = actions.reply(author=other_country_member, parent=opening, body="A first answer")
    actions.reply(author=member, parent=first, body="A nested answer")
    return thread


def test_arabic_thread_keeps_an_english_titles_question_mark_at_its_end_and_indents_rightward(
    new_page, arabic_reader, talk
):
    page = new_page()
    sign_in(page, arabic_reader.email, PASSWORD)
    page.goto(talk.get_absolute_url())
    assert page.evaluate("document.documentElement.dir") == "rtl"
    # The title is its own left-to-right island: "?" stays at the end of the English text.
    title = page.locator("h1.thread-title")
    assert title.get_attribute("dir") == "auto"
    assert page.evaluate("document.querySelector('h1.thread-title bdi').matches(':dir(ltr)')")
    assert page.evaluate("document.querySelector('h1.thread-title').matches(':dir(ltr)')")
    assert title.inner_text() == "Is the law in force?"
    # Names and times are isolated (bdi), the page around them stays right-to-left.
    assert page.evaluate("document.querySelector('main').matches(':dir(rtl)')")
    assert page.locator("article.post header bdi.name").count() == 3
    assert page.locator("article.post header bdi > time.when").count() == 3
    # The reply tree indents from the right: deeper posts end further from the right edge.
    boxes = page.locator("article.post").evaluate_all(
        "posts => posts.map(a => a.getBoundingClientRect()).map(r => [r.left, r.right])"
    )
    left, right = [round(b[0]) for b in boxes], [round(b[1]) for b in boxes]
    assert right[0] > right[1] > right[2]
    assert left[0] == left[1] == left[2]
    # The back link's arrow points right in Arabic.
    arrow = page.evaluate("getComputedStyle(document.querySelector('a.back'), '::before').content")
    assert arrow == '"→"'
    shot(page, "thread-arabic-rtl")


def test_a_thread_opens_at_the_first_unread_post(new_page, member, other_country_member, legal):
    thread = actions.create_thread(author=member, group=legal, title="Long one", body="Start")
    opening = thread.posts.get()
    for n in range(12):
        actions.reply(author=other_country_member, parent=opening, body=f"Old reply {n}")
    thread.refresh_from_db()
    reading.mark_seen(member=member, thread=thread, number=13)
    later = timezone.now() + timedelta(seconds=2)
    fresh = [
        actions.reply(author=other_country_member, parent=opening, body=f"New reply {n}")
        for n in range(3)
    ]
    Post.objects.filter(pk__in=[p.pk for p in fresh]).update(created_at=later)
    Thread.objects.filter(pk=thread.pk).update(last_activity_at=later)
    page = new_page()
    page.set_viewport_size({"width": 1000, "height": 700})
    sign_in(page, member.email, PASSWORD)
    page.goto(f"/g/{legal.slug}/")
    row = page.locator(f'li[data-thread="{thread.pk}"]')
    assert "3 unread" in row.inner_text()
    row.locator("a.title").click()
    page.wait_for_url(re.compile(r"#new$"))
    top = page.evaluate("document.getElementById('new').getBoundingClientRect().top")
    assert -1 < top < 200, top  # at the top of the window (layout may leave a fraction)
    assert page.locator("#new + article.post .body").inner_text() == "New reply 0"
    shot(page, "thread-opens-at-first-unread")


def test_a_draft_survives_a_reload_and_a_lost_local_copy(new_page, member, talk):
    page = new_page()
    sign_in(page, member.email, PASSWORD)
    page.goto(talk.get_absolute_url())
    box = page.locator(".reply-form textarea")
    box.fill("")
    box.type("Half of a careful answer")
    page.reload()
    wait_until(page, "document.querySelector('.reply-form textarea').value !== ''")
    assert page.locator(".reply-form textarea").input_value() == "Half of a careful answer"
    assert page.locator(".draft-offer").is_visible()
    # The server's copy (saved after a few seconds of typing) brings it back on another device.
    with page.expect_response(lambda r: "/drafts/reply/" in r.url and r.request.method == "POST"):
        page.locator(".reply-form textarea").type(" and more")
    page.evaluate("localStorage.clear()")
    page.reload()
    wait_until(page, "document.querySelector('.reply-form textarea').value !== ''")
    assert page.locator(".reply-form textarea").input_value() == "Half of a careful answer and more"
    shot(page, "draft-restored")
    # Sending discards it.
    page.get_by_role("button", name="Reply to the thread").click()
    page.wait_for_selector("text=Half of a careful answer and more")
    page.goto(talk.get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert page.locator(".reply-form textarea").input_value() == ""
    assert page.evaluate("localStorage.length") == 0


def test_a_reaction_appears_live_in_a_second_browser(new_page, member, other_country_member, talk):
    reader = new_page()
    sign_in(reader, other_country_member.email, PASSWORD)
    reader.goto(talk.get_absolute_url())
    wait_until(reader, "!!window.forumLive && window.forumLive.state === 'live'")
    writer = new_page()
    sign_in(writer, member.email, PASSWORD)
    writer.goto(talk.get_absolute_url())
    opening = talk.posts.get(number=1)
    writer.locator(f'article[data-post="{opening.pk}"] a.react-add').click()
    writer.locator(".reaction-picker button[data-emoji='tada']").click()
    writer.wait_for_selector(
        f'article[data-post="{opening.pk}"] a.reaction.mine[data-emoji="tada"]'
    )
    reader.wait_for_selector(
        f'article[data-post="{opening.pk}"] a.reaction[data-emoji="tada"]', timeout=10_000
    )
    live = reader.locator(f'article[data-post="{opening.pk}"] a.reaction[data-emoji="tada"]')
    assert " ".join(live.text_content().split()) == "🎉 1"
    assert live.get_attribute("title") == member.display_name
    assert "mine" not in live.get_attribute("class")
    shot(reader, "reaction-live")


NORMALIZE = """el => {
  const copy = el.cloneNode(true);
  copy.classList.remove('arrived');
  copy.querySelectorAll('input[name=csrfmiddlewaretoken]').forEach(i => i.removeAttribute('value'));
  return copy.outerHTML;
}"""


def test_a_post_inserted_live_is_identical_to_the_server_rendered_one(
    new_page, member, other_country_member, talk
):
    reader = new_page()
    sign_in(reader, member.email, PASSWORD)
    reader.goto(talk.get_absolute_url())
    wait_until(reader, "!!window.forumLive && window.forumLive.state === 'live'")
    writer = new_page()
    sign_in(writer, other_country_member.email, PASSWORD)
    writer.goto(talk.get_absolute_url())
    # Typing is announced over the writer's own socket: wait until it is open.
    wait_until(writer, "!!window.forumLive && window.forumLive.state === 'live'")
    writer.locator(".reply-form textarea").type("Arriving *live*")
    wait_until(reader, "document.getElementById('live-typing').textContent.length > 0")
    writer.get_by_role("button", name="Reply to the thread").click()
    reader.wait_for_selector("article.post >> text=Arriving live", timeout=10_000)
    post = Post.objects.get(body_source="Arriving *live*")
    # "X is typing" clears once X's post arrives.
    wait_until(reader, "document.getElementById('live-typing').textContent === ''")
    inserted = reader.locator(f'article[data-post="{post.pk}"]').evaluate(NORMALIZE)
    shot(reader, "post-inserted-live")
    reader.reload()
    rendered = reader.locator(f'article[data-post="{post.pk}"]').evaluate(NORMALIZE)
    assert inserted == rendered


def test_the_phone_header_is_at_most_64px_and_taps_are_44px(browser, server, member, talk):
    context = browser.new_context(
        base_url=server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )
    try:
        page = context.new_page()
        sign_in(page, member.email, PASSWORD)
        page.goto(talk.get_absolute_url())
        header = page.locator("header.site-header").bounding_box()
        assert header["height"] <= 64, header
        assert page.locator(".nav-panel").is_hidden()
        page.locator("label.nav-toggle-label").click()
        assert page.locator(".nav-panel").is_visible()
        shot(page, "phone-menu-open")
        for selector in (
            ".nav-panel nav a",
            "label.nav-toggle-label",
            "a.inbox-link",
            "article.post footer a",
        ):
            for box in page.locator(selector).evaluate_all(
                "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)"
            ):
                assert box >= 44, (selector, box)
        page.locator("label.nav-toggle-label").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "phone-thread")
    finally:
        context.close()


def test_dark_mode_follows_the_system_and_the_switch_is_remembered(new_page, member, talk):
    page = new_page()
    page.emulate_media(color_scheme="dark")
    sign_in(page, member.email, PASSWORD)
    page.goto(talk.get_absolute_url())
    background = "getComputedStyle(document.documentElement).backgroundColor"
    assert page.evaluate(background) == "rgb(18, 23, 30)"
    shot(page, "thread-dark")
    page.locator("#theme-toggle").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    page.reload()
    # The server draws the chosen theme at once (a cookie), before any script runs.
    assert page.evaluate("document.documentElement.getAttribute('data-theme')") == "light"
    assert page.evaluate(background) == "rgb(244, 246, 249)"
    shot(page, "thread-light-chosen")


def test_keyboard_shortcuts_move_between_posts_but_never_while_typing(new_page, member, talk):
    page = new_page()
    sign_in(page, member.email, PASSWORD)
    page.goto(talk.get_absolute_url())
    focused = "document.activeElement.id"
    page.keyboard.press("j")
    assert page.evaluate(focused) == "p1"
    page.keyboard.press("j")
    assert page.evaluate(focused) == "p2"
    page.keyboard.press("k")
    assert page.evaluate(focused) == "p1"
    page.locator(".reply-form textarea").click()
    page.keyboard.type("jk?")
    assert page.locator(".reply-form textarea").input_value().endswith("jk?")
    assert not page.locator("#shortcuts").is_visible()
    page.locator("h1").click()
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    shot(page, "keyboard-help")
