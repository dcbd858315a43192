"""Two members on one thread: replies appear live, and a dropped connection misses nothing."""

from forum.actions import threads as actions
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import PASSWORD


def test_reply_appears_live_and_survives_a_dropped_connection(
    new_page, member, other_country_member, legal
):
    thread = actions.create_thread(author=member, group=legal, title="Live talk", body="Start")
    reader = new_page()
    sign_in(reader, member.email, PASSWORD)
    reader.goto(thread.get_absolute_url())
    wait_until(reader, "!!window.forumLive && window.forumLive.state === 'live'")
    writer = new_page()
    sign_in(writer, other_country_member.email, PASSWORD)

    def post_reply(text: str) -> None:
        writer.goto(thread.get_absolute_url())
        writer.fill("textarea[name=body]", text)
        writer.get_by_role("button", name="Reply to the thread").click()
        writer.wait_for_selector(f"text={text}")

    post_reply("First live reply")
    reader.wait_for_selector("article.post >> text=First live reply", timeout=10_000)
    wait_until(reader, "document.getElementById('live-presence').textContent.includes(',')")

    reader.context.set_offline(True)
    reader.evaluate("window.forumLive.drop()")
    wait_until(reader, "window.forumLive.state === 'reconnecting'")
    post_reply("Written while you were away")
    post_reply("And another one")
    reader.context.set_offline(False)
    reader.wait_for_selector("text=And another one", timeout=40_000)
    texts = reader.locator("article.post .body").all_inner_texts()
    assert texts == ["Start", "First live reply", "Written while you were away", "And another one"]
    reader.screenshot(path="var/browser-live.png", full_page=True)
