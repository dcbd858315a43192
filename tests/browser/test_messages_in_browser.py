"""Two members in different countries hold a live conversation; one drops the network
and comes back, and nothing is missing or doubled."""

from conversations.actions import messages as actions
from conversations.models import DirectMessage
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import PASSWORD


def test_a_live_conversation_survives_a_dropped_connection(new_page, member, other_country_member):
    conversation, _first = actions.start_conversation(
        author=member, recipients=[other_country_member], body="Hello from Beijing", client_id="b1"
    )
    url = conversation.get_absolute_url()
    zambia, china = new_page(), new_page()
    sign_in(zambia, other_country_member.email, PASSWORD)
    sign_in(china, member.email, PASSWORD)
    for page in (zambia, china):
        page.goto(url)
        wait_until(page, "!!window.forumMessages && window.forumMessages.state === 'live'")

    def send(page, text):
        page.fill("#compose textarea[name=body]", text)
        page.click("#compose button[type=submit]")

    def shown(page):
        return page.locator("#dm-log li.dm-message .body").all_inner_texts()

    send(zambia, "Hello from Lusaka")
    china.wait_for_selector("#dm-log >> text=Hello from Lusaka", timeout=10_000)
    wait_until(zambia, "window.forumMessages.pending === 0")
    # Typing shows on the other side.
    china.fill("#compose textarea[name=body]", "typing…")
    zambia.wait_for_selector("#dm-typing >> text=is typing", timeout=10_000)
    china.fill("#compose textarea[name=body]", "")

    # Zambia's network drops; two messages are written meanwhile.
    zambia.context.set_offline(True)
    zambia.evaluate("window.forumMessages.drop()")
    wait_until(zambia, "window.forumMessages.state === 'reconnecting'")
    send(china, "Written while you were away")
    send(china, "And a second one")
    wait_until(china, "window.forumMessages.pending === 0")
    # Zambia writes while offline: it waits and goes out once the socket is back.
    send(zambia, "Sent while offline")
    zambia.context.set_offline(False)
    zambia.wait_for_selector("#dm-log >> text=And a second one", timeout=40_000)
    wait_until(zambia, "window.forumMessages.pending === 0", timeout=40)
    china.wait_for_selector("#dm-log >> text=Sent while offline", timeout=20_000)
    zambia.wait_for_timeout(500)

    expected = [
        "Hello from Beijing",
        "Hello from Lusaka",
        "Written while you were away",
        "And a second one",
        "Sent while offline",
    ]
    assert shown(zambia) == expected
    assert shown(china) == expected
    stored = DirectMessage.objects.filter(conversation=conversation).order_by("seq")
    assert list(stored.values_list("body", flat=True)) == expected
    zambia.reload()
    assert shown(zambia) == expected
    zambia.screenshot(path="var/browser-messages.png", full_page=True)
