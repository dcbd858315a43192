"""The thread page reports what the reader saw; the group page shows the thread as read."""

import pytest

from forum.actions import threads as actions
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


@pytest.fixture
def replied_thread(thread, other_country_member):
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="A short answer")
    return thread


def _row_classes(page, thread) -> str:
    return page.locator(f'li[data-thread="{thread.pk}"]').get_attribute("class")


def test_scrolling_the_posts_into_view_marks_the_thread_read(
    new_page, replied_thread, member, legal
):
    page = new_page()
    sign_in(page, member.email, PASSWORD)
    page.goto(f"/g/{legal.slug}/")
    assert "unread" in _row_classes(page, replied_thread)
    with page.expect_response(lambda r: r.url.endswith(f"/t/{replied_thread.pk}/seen/")) as seen:
        page.goto(replied_thread.get_absolute_url())
    assert seen.value.status == 204
    assert page.locator("form#seen").is_hidden()  # the script reports by itself
    page.goto(f"/g/{legal.slug}/")
    assert "unread" not in _row_classes(page, replied_thread)


def test_reloading_an_unchanged_page_is_answered_304_and_still_shows_it(
    new_page, replied_thread, member
):
    page = new_page()
    sign_in(page, member.email, PASSWORD)
    # The browser hands the page its cached copy as a 200; the wire says what was sent.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    on_the_wire, pages = {}, []
    cdp.on(
        "Network.responseReceivedExtraInfo",
        lambda e: on_the_wire.__setitem__(e["requestId"], e["statusCode"]),
    )
    cdp.on(
        "Network.responseReceived",
        lambda e: pages.append(e["requestId"]) if e["type"] == "Document" else None,
    )
    page.goto(replied_thread.get_absolute_url())
    page.reload()
    assert [on_the_wire[request] for request in pages] == [200, 304]
    assert page.locator("article.post", has_text="A short answer").is_visible()


def test_without_javascript_the_button_marks_the_thread_read(
    browser, server, replied_thread, member, legal
):
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, member.email, PASSWORD)
        page.goto(replied_thread.get_absolute_url())
        page.get_by_role("button", name="Mark as read up to here").click()
        page.wait_for_url(f"**/g/{legal.slug}/")
        assert "unread" not in _row_classes(page, replied_thread)
    finally:
        context.close()
