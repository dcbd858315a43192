"""Files on direct messages: attached from the conversation page (JavaScript off), shown
in the conversation, fetched only by its participants."""

from __future__ import annotations

import pytest
from django.urls import reverse

from attachments.actions import files as file_actions
from attachments.models import Attachment
from conversations.actions import messages as actions
from conversations.actions import safety
from conversations.models import DirectMessage
from tests.access import normalized
from tests.attachments import samples
from tests.attachments.conftest import file_store  # noqa: F401 (a fixture: files of their own)
from tests.conftest import client_for
from tests.conversations.conftest import say

pytestmark = pytest.mark.django_db


def _with_file(author, message, content: bytes = b"Minutes of the call", name="minutes.txt"):
    upload = file_actions.upload(
        member=author, file=samples.upload(name, content, "text/plain"), name=name
    )
    file_actions.attach(member=author, owner=message, uploads=[upload])
    return upload


def _fetch(member, attachment_pk: int):
    return client_for(member).get(reverse("attachment", args=[attachment_pk]))


def test_a_message_carries_a_pdf_and_an_image_without_javascript(
    pair, member, other_country_member, django_capture_on_commit_callbacks
):
    client = client_for(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("conversations:conversation", args=[pair.pk]),
            {
                "body": "The draft and a photo.",
                "client_id": "with-files",
                "files": [
                    samples.upload("draft.pdf", samples.pdf_bytes(pages=3)),
                    samples.upload("site.png", samples.png_bytes()),
                ],
            },
        )
    assert response.status_code == 302
    message = DirectMessage.objects.get(conversation=pair, client_id="with-files")
    pdf, photo = Attachment.objects.filter(owner_id=message.pk).order_by("position")
    assert (pdf.name, photo.name) == ("draft.pdf", "site.png")
    page = client_for(other_country_member).get(pair.get_absolute_url()).content.decode()
    assert reverse("attachment", args=[pdf.pk]) in page  # a card
    assert "3 pages" in page
    assert f'src="{reverse("attachment_variant", args=[photo.pk, "thumb"])}"' in page
    assert _fetch(other_country_member, pdf.pk).status_code == 200
    assert _fetch(other_country_member, photo.pk).status_code == 200


def test_the_compose_form_sends_files_as_multipart_with_a_multiple_input(pair, member):
    page = client_for(member).get(pair.get_absolute_url()).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="files" id="id_files" multiple' in page


def test_a_refused_file_keeps_the_typed_text_and_sends_nothing(pair, member):
    response = client_for(member).post(
        reverse("conversations:conversation", args=[pair.pk]),
        {
            "body": "Please read the attached report",
            "client_id": "refused",
            "files": [
                samples.upload("report.pdf", b"<!doctype html><script>alert(1)</script>"),
                samples.upload("minutes.txt", b"Kept minutes", "text/plain"),
            ],
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please read the attached report" in page
    assert "report.pdf" in page  # the refusal names the file
    kept = Attachment.objects.get(name="minutes.txt")
    assert f'name="attachment" value="{kept.pk}"' in page  # accepted file kept by id
    assert not DirectMessage.objects.filter(client_id="refused").exists()


def test_more_files_than_a_message_takes_are_refused_with_the_text_kept(pair, member, settings):
    settings.ATTACHMENT_MAX_PER_POST = 2
    response = client_for(member).post(
        reverse("conversations:conversation", args=[pair.pk]),
        {
            "body": "Three notes",
            "client_id": "three",
            "files": [samples.upload(f"n{i}.txt", f"note {i}".encode()) for i in range(3)],
        },
    )
    assert response.status_code == 400
    assert "Three notes" in response.content.decode()
    assert not DirectMessage.objects.filter(client_id="three").exists()


def test_only_participants_fetch_a_messages_files(
    pair, member, other_country_member, moderator, chair, outsider, staff
):
    upload = _with_file(member, say(member, pair, "Notes"))
    assert _fetch(member, upload.pk).status_code == 200
    assert _fetch(other_country_member, upload.pk).status_code == 200
    for somebody in (moderator, chair, outsider, staff):
        response, missing = _fetch(somebody, upload.pk), _fetch(somebody, upload.pk + 1000)
        assert response.status_code == missing.status_code == 404
        assert normalized(response.content, f"/files/{upload.pk}/") == normalized(
            missing.content, f"/files/{upload.pk + 1000}/"
        )
    assert client_for(None).get(reverse("attachment", args=[upload.pk])).status_code == 302


def test_a_member_who_left_no_longer_fetches_the_files(make_member, legal, member):
    first, second = (make_member(country="ZM", groups=[legal]) for _ in range(2))
    group, opening = actions.start_conversation(
        author=member, recipients=[first, second], body="All of us", client_id="g-1"
    )
    upload = _with_file(member, opening)
    assert _fetch(first, upload.pk).status_code == 200
    actions.leave(member=first, conversation=group)
    assert _fetch(first, upload.pk).status_code == 404
    assert _fetch(second, upload.pk).status_code == 200


def test_a_member_who_blocked_the_author_does_not_fetch_their_files(make_member, legal, member):
    blocker, third = (make_member(country="ZM", groups=[legal]) for _ in range(2))
    _group, opening = actions.start_conversation(
        author=member, recipients=[blocker, third], body="All of us", client_id="g-2"
    )
    upload = _with_file(member, opening)
    safety.block(blocker=blocker, blocked=member)
    assert _fetch(blocker, upload.pk).status_code == 404
    assert _fetch(third, upload.pk).status_code == 200
    # The blocked author still sees their own file; the blocker's files stay theirs to see.
    assert _fetch(member, upload.pk).status_code == 200


def test_staff_fetch_only_a_reported_messages_files(pair, member, other_country_member, staff):
    reported = say(member, pair, "Look at this")
    nearby = say(member, pair, "And this")
    reported_file, nearby_file = _with_file(member, reported), _with_file(member, nearby)
    safety.report(reporter=other_country_member, message=reported, reason="Rude picture")
    assert _fetch(staff, reported_file.pk).status_code == 200
    assert _fetch(staff, nearby_file.pk).status_code == 404
    report = reported.reports.get()
    page = client_for(staff).get(reverse("conversations:report_detail", args=[report.pk]))
    assert reverse("attachment", args=[reported_file.pk]) in page.content.decode()
    assert reverse("attachment", args=[nearby_file.pk]) not in page.content.decode()


def test_a_deleted_messages_files_are_gone_for_everyone(pair, member, other_country_member):
    message = say(member, pair, "Oops")
    upload = _with_file(member, message)
    safety.report(reporter=other_country_member, message=message, reason="Rude")
    actions.delete_message(author=member, message=message)
    assert not Attachment.objects.filter(pk=upload.pk).exists()
    for somebody in (member, other_country_member):
        assert _fetch(somebody, upload.pk).status_code == 404
    assert "minutes.txt" not in client_for(member).get(pair.get_absolute_url()).content.decode()


def test_retention_takes_a_messages_files_with_it(pair, member, settings):
    from datetime import timedelta

    from django.utils import timezone

    upload = _with_file(member, say(member, pair, "Old news"))
    settings.DM_RETENTION_DAYS = 30
    assert safety.apply_retention(now=timezone.now() + timedelta(days=31)) >= 1
    assert not Attachment.objects.filter(pk=upload.pk).exists()


# --- the new-conversation form takes files as a message in a conversation does -------


def test_a_new_conversation_starts_with_files_without_javascript(
    member, other_country_member, django_capture_on_commit_callbacks
):
    client = client_for(member)
    page = client.get(reverse("conversations:new")).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="files" id="id_files" multiple' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("conversations:new"),
            {
                "to": other_country_member.handle,
                "body": "The draft, as promised.",
                "client_id": "new-with-files",
                "files": [
                    samples.upload("draft.pdf", samples.pdf_bytes(pages=2)),
                    samples.upload("site.png", samples.png_bytes()),
                ],
            },
        )
    assert response.status_code == 302
    message = DirectMessage.objects.get(client_id="new-with-files")
    assert response.url == message.conversation.get_absolute_url()
    pdf, photo = Attachment.objects.filter(owner_id=message.pk).order_by("position")
    assert (pdf.name, photo.name) == ("draft.pdf", "site.png")
    assert _fetch(other_country_member, pdf.pk).status_code == 200
    assert _fetch(other_country_member, photo.pk).status_code == 200
    shown = client_for(other_country_member).get(response.url).content.decode()
    assert f'src="{reverse("attachment_variant", args=[photo.pk, "thumb"])}"' in shown


def test_a_new_message_to_an_existing_pair_carries_its_files(pair, member, other_country_member):
    response = client_for(member).post(
        reverse("conversations:new"),
        {
            "to": other_country_member.handle,
            "body": "Again, with the minutes",
            "client_id": "pair-with-files",
            "files": [samples.upload("minutes.txt", b"Minutes", "text/plain")],
        },
    )
    assert response.status_code == 302 and response.url == pair.get_absolute_url()
    message = DirectMessage.objects.get(client_id="pair-with-files")
    assert message.conversation_id == pair.pk
    assert Attachment.objects.get(owner_id=message.pk).name == "minutes.txt"


def test_a_refused_file_on_a_new_conversation_keeps_what_was_typed(member, other_country_member):
    response = client_for(member).post(
        reverse("conversations:new"),
        {
            "to": other_country_member.handle,
            "body": "Please read the attached report",
            "client_id": "new-refused",
            "files": [
                samples.upload("report.pdf", b"<!doctype html><script>alert(1)</script>"),
                samples.upload("minutes.txt", b"Kept minutes", "text/plain"),
            ],
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please read the attached report" in page
    assert other_country_member.handle in page  # the recipient stays filled in
    assert "report.pdf" in page  # the refusal names the file
    kept = Attachment.objects.get(name="minutes.txt")
    assert f'name="attachment" value="{kept.pk}"' in page  # accepted file kept by id
    assert not DirectMessage.objects.filter(client_id="new-refused").exists()


def test_a_kept_file_goes_with_the_new_conversation_once_the_recipient_is_right(
    member, other_country_member
):
    client = client_for(member)
    typo = client.post(
        reverse("conversations:new"),
        {
            "to": "nobody-by-that-name",
            "body": "Notes attached",
            "client_id": "new-typo",
            "files": [samples.upload("notes.txt", b"Notes", "text/plain")],
        },
    )
    assert typo.status_code == 400
    kept = Attachment.objects.get(name="notes.txt")
    assert f'name="attachment" value="{kept.pk}"' in typo.content.decode()
    fixed = client.post(
        reverse("conversations:new"),
        {
            "to": other_country_member.handle,
            "body": "Notes attached",
            "client_id": "new-typo",
            "attachment": kept.pk,
        },
    )
    assert fixed.status_code == 302
    kept.refresh_from_db()
    assert kept.owner_id == DirectMessage.objects.get(client_id="new-typo").pk


def test_new_conversation_files_keep_the_limits_and_the_quota(
    member, other_country_member, settings
):
    settings.ATTACHMENT_MAX_PER_POST = 2
    too_many = client_for(member).post(
        reverse("conversations:new"),
        {
            "to": other_country_member.handle,
            "body": "Three notes",
            "client_id": "new-three",
            "files": [samples.upload(f"n{i}.txt", f"note {i}".encode()) for i in range(3)],
        },
    )
    assert too_many.status_code == 400
    assert "Three notes" in too_many.content.decode()
    settings.ATTACHMENT_DAILY_QUOTA_BYTES = 10
    over_quota = client_for(member).post(
        reverse("conversations:new"),
        {
            "to": other_country_member.handle,
            "body": "A long note",
            "client_id": "new-quota",
            "files": [samples.upload("long.txt", b"x" * 100, "text/plain")],
        },
    )
    assert over_quota.status_code == 400
    assert "allowance" in over_quota.content.decode()
    assert not DirectMessage.objects.filter(client_id__in=["new-three", "new-quota"]).exists()
