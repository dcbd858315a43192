"""A member attaches a PDF and a photo to a direct message with the page's script
(uploaded first, then sent with the form instead of over the socket); the other
participant sees the thumbnail and the card; a member outside the conversation gets 404."""

from __future__ import annotations

from attachments.models import Attachment
from conversations.actions import messages as actions
from conversations.models import DirectMessage
from tests.attachments import samples
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import PASSWORD


def test_a_direct_message_carries_files_to_its_participants_only(
    new_page, tmp_path, member, other_country_member, outsider
):
    conversation, _first = actions.start_conversation(
        author=member, recipients=[other_country_member], body="Hello", client_id="f1"
    )
    pdf = tmp_path / "draft-mou.pdf"
    pdf.write_bytes(samples.pdf_bytes(pages=2))
    photo = tmp_path / "site.png"
    photo.write_bytes(samples.png_bytes(size=(400, 300)))

    china = new_page()
    sign_in(china, member.email, PASSWORD)
    china.goto(conversation.get_absolute_url())
    wait_until(china, "!!window.forumMessages && window.forumMessages.state === 'live'")
    china.fill("#compose textarea[name=body]", "The draft MoU and a photo.")
    china.set_input_files("#compose input[name=files]", [str(pdf), str(photo)])
    wait_until(china, "document.querySelectorAll('#compose input[name=attachment]').length === 2")
    china.click("#compose button[type=submit]")
    china.wait_for_selector("#dm-log .attachment-card")

    message = DirectMessage.objects.get(conversation=conversation, body__startswith="The draft")
    files = {a.name: a for a in Attachment.objects.filter(owner_id=message.pk)}
    assert set(files) == {"draft-mou.pdf", "site.png"}

    zambia = new_page()
    sign_in(zambia, other_country_member.email, PASSWORD)
    zambia.goto(conversation.get_absolute_url())
    assert "draft-mou.pdf" in zambia.locator("#dm-log .attachment-card").inner_text()
    wait_until(
        zambia,
        "(() => { const i = document.querySelector('#dm-log .attachment-image img');"
        " return i && i.complete && i.naturalWidth > 0; })()",
    )
    for attachment in files.values():
        assert zambia.request.get(f"/files/{attachment.pk}/").status == 200

    stranger = new_page()
    sign_in(stranger, outsider.email, PASSWORD)
    for attachment in files.values():
        assert stranger.request.get(f"/files/{attachment.pk}/").status == 404
    assert stranger.request.get(f"/files/{files['site.png'].pk}/thumb/").status == 404


def test_a_new_conversation_starts_with_a_photo(new_page, tmp_path, member, other_country_member):
    """The new-conversation form takes files as the conversation's own form does."""
    photo = tmp_path / "office.png"
    photo.write_bytes(samples.png_bytes(size=(400, 300)))
    china = new_page()
    sign_in(china, member.email, PASSWORD)
    china.goto(f"/messages/new/?to={other_country_member.handle}")
    china.fill("textarea[name=body]", "Our new office, as promised.")
    china.set_input_files("input[name=files]", [str(photo)])
    wait_until(china, "document.querySelectorAll('input[name=attachment]').length === 1")
    china.click("main form button[type=submit]")
    china.wait_for_selector("#dm-log .attachment-image img")

    message = DirectMessage.objects.get(body__startswith="Our new office")
    assert Attachment.objects.get(owner_id=message.pk).name == "office.png"
    zambia = new_page()
    sign_in(zambia, other_country_member.email, PASSWORD)
    zambia.goto(message.conversation.get_absolute_url())
    wait_until(
        zambia,
        "(() => { const i = document.querySelector('#dm-log .attachment-image img');"
        " return i && i.complete && i.naturalWidth > 0; })()",
    )
