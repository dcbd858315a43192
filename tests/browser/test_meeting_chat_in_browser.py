"""Two members chat in a live meeting; dropped connections neither lose nor double messages."""

import re
from datetime import timedelta

from django.utils import timezone

from attachments.models import Attachment
from forum.actions import meetings as actions
from forum.models import ChatMessage
from tests.attachments import samples
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import PASSWORD


def test_chat_survives_a_dropped_connection_on_either_side(
    new_page, member, other_country_member, chair, legal
):
    start = timezone.now() - timedelta(minutes=1)  # due: it starts when the page sees it
    meeting = actions.schedule_meeting(
        organizer=chair,
        group=legal,
        title="Live session",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        link="https://meet.example.org/live",
    )
    url = meeting.get_absolute_url()
    reader, writer = new_page(), new_page()
    sign_in(reader, member.email, PASSWORD)
    sign_in(writer, other_country_member.email, PASSWORD)
    for page in (reader, writer):
        page.goto(url)
        wait_until(page, "!!window.forumLive && window.forumLive.state === 'live'")

    def send(page, text):
        page.fill("#chat textarea[name=body]", text)
        page.click("#chat form.chat-form button[type=submit]")

    def shown(page):
        return page.locator("#chat-log li.chat-message .body").all_inner_texts()

    send(writer, "Hello from Lusaka")
    reader.wait_for_selector("#chat-log >> text=Hello from Lusaka", timeout=10_000)
    wait_until(writer, "window.forumLive.pending === 0")

    # The reader's network drops; a message is written meanwhile.
    reader.context.set_offline(True)
    reader.evaluate("window.forumLive.drop()")
    wait_until(reader, "window.forumLive.state === 'reconnecting'")
    send(writer, "Written while you were away")
    wait_until(writer, "window.forumLive.pending === 0")
    reader.context.set_offline(False)
    reader.wait_for_selector("#chat-log >> text=Written while you were away", timeout=40_000)

    # The writer's network drops while a send is in flight: it shows as sending,
    # is resent on reconnect with the same client_id, and is stored once.
    writer.context.set_offline(True)
    writer.evaluate("window.forumLive.drop()")
    wait_until(writer, "window.forumLive.state === 'reconnecting'")
    send(writer, "Sent while offline")
    assert writer.locator("#chat-log li.sending").count() == 1
    writer.context.set_offline(False)
    wait_until(writer, "window.forumLive.pending === 0", timeout=40)
    reader.wait_for_selector("#chat-log >> text=Sent while offline", timeout=20_000)
    reader.wait_for_timeout(500)

    expected = ["Hello from Lusaka", "Written while you were away", "Sent while offline"]
    assert shown(reader) == expected
    assert shown(writer) == expected
    assert list(ChatMessage.objects.order_by("seq").values_list("body", flat=True)) == expected
    reader.reload()
    assert shown(reader) == expected
    reader.screenshot(path="var/browser-meeting-chat.png", full_page=True)


def test_a_chat_message_with_a_photo_shows_its_thumbnail_live(
    new_page, tmp_path, member, other_country_member, chair, legal
):
    """The reader's page inserts the server's own markup for the message, photo included,
    without a reload; after a reload the message looks the same."""
    start = timezone.now() - timedelta(minutes=1)
    meeting = actions.schedule_meeting(
        organizer=chair,
        group=legal,
        title="Site visit debrief",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        link="https://meet.example.org/debrief",
    )
    photo = tmp_path / "site.png"
    photo.write_bytes(samples.png_bytes(size=(400, 300)))
    reader, writer = new_page(), new_page()
    sign_in(reader, member.email, PASSWORD)
    sign_in(writer, other_country_member.email, PASSWORD)
    for page in (reader, writer):
        page.goto(meeting.get_absolute_url())
        wait_until(page, "!!window.forumLive && window.forumLive.state === 'live'")
    reader.evaluate("document.documentElement.dataset.sameVisit = 'yes'")

    writer.fill("#chat textarea[name=body]", "Photo from the site visit")
    writer.set_input_files("#chat input[name=files]", [str(photo)])
    wait_until(writer, "document.querySelectorAll('#chat input[name=attachment]').length === 1")
    writer.click("#chat form.chat-form button[type=submit]")

    reader.wait_for_selector("#chat-log li.chat-message .attachment-image img", timeout=20_000)
    assert reader.evaluate("document.documentElement.dataset.sameVisit") == "yes"  # no reload
    message = ChatMessage.objects.get(meeting=meeting, body__startswith="Photo")
    attachment = Attachment.objects.get(owner_id=message.pk)
    image = f'#chat-log li[data-id="{message.pk}"] .attachment-image img'
    assert reader.get_attribute(image, "src") == f"/files/{attachment.pk}/thumb/"
    wait_until(reader, f"document.querySelector('{image}').naturalWidth > 0")  # it loaded
    item = f'#chat-log li[data-id="{message.pk}"]'
    live = reader.eval_on_selector(item, "node => node.outerHTML")
    reader.reload()
    reader.wait_for_selector(image)
    assert same_markup(reader.eval_on_selector(item, "node => node.outerHTML"), live)


def same_markup(a: str, b: str) -> bool:
    """Equal but for the clock's wording (site.js rewrites times as "2 minutes ago")."""
    clock = re.compile(r"<time[^>]*>.*?</time>", re.S)
    return clock.sub("<time>", a) == clock.sub("<time>", b)
