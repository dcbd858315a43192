"""A group list's live rows are the server's own, and the new-thread form suggests
@mentions among the members its chosen audience admits. Screenshots go to
var/artifacts/screenshots/ (kept by CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forum.models import Thread
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import PASSWORD

SHOTS = Path("var/artifacts/screenshots")
pytestmark = pytest.mark.usefixtures("posting_unlimited")

NORMALIZE = """el => {
  const copy = el.cloneNode(true);
  copy.classList.remove('arrived');
  return copy.outerHTML;
}"""


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_thread_row_inserted_live_is_identical_to_the_server_rendered_one(
    new_page, member, other_country_member, legal, thread
):
    reader = new_page()
    sign_in(reader, member.email, PASSWORD)
    reader.goto(f"/g/{legal.slug}/")
    wait_until(reader, "!!window.forumLive && window.forumLive.state === 'live'")
    writer = new_page()
    sign_in(writer, other_country_member.email, PASSWORD)
    writer.goto(f"/g/{legal.slug}/new/")
    writer.fill("input[name=title]", "Customs rules for 2027?")
    writer.fill("textarea[name=body]", "What is **new**?")
    writer.get_by_role("button", name="Post thread").click()
    writer.wait_for_url("**/t/**")
    started = Thread.objects.get(title="Customs rules for 2027?")
    row = f'li[data-thread="{started.pk}"]:not(.loading)'
    reader.wait_for_selector(row, timeout=10_000)
    # The newest activity on top, above the thread that was there.
    assert reader.locator("li.thread-row").first.get_attribute("data-thread") == str(started.pk)
    inserted = reader.locator(row).evaluate(NORMALIZE)
    shot(reader, "thread-row-inserted-live")
    reader.reload()
    assert reader.locator(row).evaluate(NORMALIZE) == inserted

    # A reply to the other thread brings its row up, counted as the server counts it.
    wait_until(reader, "!!window.forumLive && window.forumLive.state === 'live'")
    writer.goto(thread.get_absolute_url())
    writer.locator(".reply-form textarea").fill("An answer")
    writer.get_by_role("button", name="Reply to the thread").click()
    writer.wait_for_selector("article.post >> text=An answer")
    bumped = f'li[data-thread="{thread.pk}"]'
    wait_until(
        reader,
        f"document.querySelector('li.thread-row').dataset.thread === '{thread.pk}'"
        f" && document.querySelector('{bumped}').textContent.includes('1 reply')",
    )
    updated = reader.locator(bumped).evaluate(NORMALIZE)
    reader.reload()
    assert reader.locator(bumped).evaluate(NORMALIZE) == updated


def test_the_new_thread_form_suggests_only_members_the_chosen_audience_admits(
    new_page, member, make_member, legal
):
    make_member(country="CN", groups=[legal], display_name="Wang Fang", handle="wang-fang")
    make_member(country="ZM", groups=[legal], display_name="Wanjiru Banda", handle="wanjiru")
    page = new_page()
    sign_in(page, member.email, PASSWORD)
    page.goto(f"/g/{legal.slug}/new/")
    page.fill("input[name=title]", "Domestic notes")
    page.check("input[name=audience][value=domestic]")
    body = page.locator("textarea[name=body]")
    body.click()
    body.type("Hello @wa")
    page.wait_for_selector(".mention-list li")
    assert page.locator(".mention-list li").all_text_contents() == ["Wang Fang @wang-fang"]
    shot(page, "new-thread-mentions-domestic")
    # The whole group: the Zambian member may read it, so she is suggested too.
    page.check("input[name=audience][value=group]")
    body.click()
    body.press("End")
    body.type("n")
    wait_until(page, "document.querySelectorAll('.mention-list li').length === 2")
    assert page.locator(".mention-list li").all_text_contents() == [
        "Wang Fang @wang-fang",
        "Wanjiru Banda @wanjiru",
    ]
    body.press("ArrowDown")
    body.press("Enter")
    assert body.input_value() == "Hello @wanjiru "
