"""A member starts a thread; another member replies to a reply; the tree shows it."""

from forum.models import Post, Thread
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


def test_member_signs_in_and_sees_their_groups(new_page, member):
    page = new_page()
    sign_in(page, member.email, PASSWORD)
    assert page.locator("h1").inner_text() == "My working groups"
    assert page.get_by_role("link", name="Legal policy").first.is_visible()
    assert "Project promotion" not in page.locator("main").inner_text()


def test_thread_reply_to_a_reply_shows_in_the_tree(new_page, member, other_country_member, legal):
    author = new_page()
    sign_in(author, member.email, PASSWORD)
    author.goto(f"/g/{legal.slug}/")
    author.get_by_role("link", name="New thread").click()
    author.fill("input[name=title]", "Visa rules for engineers")
    author.fill("textarea[name=body]", "Who knows the **new** rules?")
    author.click("form.form button[type=submit]")
    author.wait_for_selector("article.post")
    thread = Thread.objects.get(title="Visa rules for engineers")

    replier = new_page()
    sign_in(replier, other_country_member.email, PASSWORD)
    replier.goto(thread.get_absolute_url())
    replier.fill("textarea[name=body]", "The ministry published a circular.")
    replier.get_by_role("button", name="Reply to the thread").click()
    replier.wait_for_selector("text=The ministry published a circular.")

    author.goto(thread.get_absolute_url())
    first_reply = author.locator("article.post", has_text="The ministry published")
    first_reply.get_by_role("link", name="Reply", exact=True).click()
    author.fill("textarea[name=body]", "Thanks, which circular number?")
    author.click("form.form button[type=submit]")

    replier.goto(thread.get_absolute_url())
    nested = replier.locator("article.post.d2", has_text="which circular number")
    assert nested.is_visible()
    reply = Post.objects.get(body_source="Thanks, which circular number?")
    assert reply.parent.body_source == "The ministry published a circular."
    posts = replier.locator("article.post").all_inner_texts()
    assert [("ministry" in t, "circular number" in t) for t in posts[1:]] == [
        (True, False),
        (False, True),
    ]
    replier.screenshot(path="var/browser-thread-tree.png", full_page=True)
