"""Cross-border review in a real browser: a Chinese member's reply waits, a Kenyan
moderator approves it from the queue, and a Zambian member sees it arrive live."""

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from forum.actions import threads as actions
from forum.models import ModerationPolicy, Post, PostStatus
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import PASSWORD

TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # the `mfa=True` fixtures' authenticator


CODE_MARGIN = 10  # seconds left in a code's window below which a test waits for the next


def sign_in_with_code(page, email: str) -> None:
    """Sign in as a moderator: password, then the authenticator app's current code."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    # A code is good for its own 30-second window only: one typed in the window's last
    # seconds may reach a busy server in the next. Wait for a fresh window instead.
    left = 30 - time.time() % 30
    if left < CODE_MARGIN:
        time.sleep(left + 0.1)
    code = format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))
    page.fill("input[name=code]", code)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def test_a_cross_border_reply_waits_then_appears_live_after_approval(
    new_page, legal, member, other_country_member, moderator
):
    legal.moderation_policy = ModerationPolicy.CROSS_BORDER
    legal.save()
    thread = actions.create_thread(
        author=moderator, group=legal, title="Tariff schedules", body="Share your updates."
    )

    reader = new_page()
    sign_in(reader, other_country_member.email, PASSWORD)
    reader.goto(thread.get_absolute_url())
    wait_until(reader, "!!window.forumLive && window.forumLive.state === 'live'")

    author = new_page()
    sign_in(author, member.email, PASSWORD)
    author.goto(thread.get_absolute_url())
    author.fill("textarea[name=body]", "Our new tariff list is out.")
    author.get_by_role("button", name="Reply to the thread").click()
    author.wait_for_selector("article.post.pending >> text=Our new tariff list is out.")
    assert author.locator("article.post.pending .status-label").inner_text() == "waiting for review"
    assert Post.objects.get(number=2).status == PostStatus.PENDING

    reviewer = new_page()
    sign_in_with_code(reviewer, moderator.email)
    reviewer.goto("/g/legal-policy/mod/")
    wait_until(reviewer, "!!window.forumLive && window.forumLive.state === 'live'")
    reviewer.wait_for_selector(".review >> text=Our new tariff list is out.")
    # The reader saw nothing while the post waited.
    assert "Our new tariff list" not in reader.content()

    reviewer.locator(".review").get_by_role("button", name="Approve").click()
    reviewer.wait_for_selector("text=Approved: the post is now visible to its audience.")
    reader.wait_for_selector("article.post >> text=Our new tariff list is out.", timeout=15_000)
    assert reader.locator("article.post .body").all_inner_texts() == [
        "Share your updates.",
        "Our new tariff list is out.",
    ]
    # It arrived in place: no "reload to see" banner on the page that shows it.
    assert reader.locator("#live-banner").is_hidden()
    # The author's page turns the pending post into a published one, live.
    wait_until(author, "!document.querySelector('article.post.pending')")
    reader.screenshot(path="var/browser-moderation.png", full_page=True)
