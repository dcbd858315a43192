"""Files are served only to whoever may see what they are attached to, 404 otherwise;
images without their metadata; nothing uploaded ever runs in our origin."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from attachments.actions import files
from attachments.models import Blob, Kind
from forum.actions import moderation
from forum.actions import threads as thread_actions
from forum.models import PostStatus, Review
from tests.access import normalized
from tests.attachments import samples
from tests.attachments.samples import GPS_IFD, MAKE
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def attach_to(post, member, name: str, content: bytes):
    upload = files.upload(member=member, file=samples.upload(name, content), name=name)
    files.attach(member=member, owner=post, uploads=[upload])
    upload.refresh_from_db()
    return upload


@pytest.fixture
def zambia_thread(start_thread, other_country_member):
    """A thread for Zambia only, by a Zambian member."""
    return start_thread(other_country_member, audience="countries", countries=["ZM"])


def test_a_pdf_downloads_as_an_attachment_with_nosniff(member, start_thread):
    post = start_thread(member).posts.get()
    pdf = attach_to(post, member, "report.pdf", samples.pdf_bytes())
    response = client_for(member).get(reverse("attachment", args=[pdf.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="report.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert body(response) == samples.pdf_bytes()


def test_an_unchanged_file_answers_304_to_its_etag(member, start_thread):
    post = start_thread(member).posts.get()
    pdf = attach_to(post, member, "report.pdf", samples.pdf_bytes())
    client = client_for(member)
    url = reverse("attachment", args=[pdf.pk])
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304


def test_a_jpeg_is_served_without_its_exif_and_gps(member, start_thread):
    post = start_thread(member).posts.get()
    original = samples.jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the sample has GPS
    photo = attach_to(post, member, "site-visit.jpg", original)
    client = client_for(member)
    for url in (
        reverse("attachment", args=[photo.pk]),
        reverse("attachment_variant", args=[photo.pk, "display"]),
        reverse("attachment_variant", args=[photo.pk, "thumb"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline;")
        served = body(response)
        assert b"SpyCam" not in served and b"Exif" not in served
        exif = Image.open(io.BytesIO(served)).getexif()
        assert not exif.get_ifd(GPS_IFD) and MAKE not in exif
    thumb = Image.open(
        io.BytesIO(body(client.get(reverse("attachment_variant", args=[photo.pk, "thumb"]))))
    )
    assert max(thumb.size) == 320


def test_images_are_described_in_the_background_and_pdfs_get_their_page_count(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        photo = files.upload(
            member=member, file=samples.upload("p.png", samples.png_bytes()), name="p.png"
        )
        pdf = files.upload(
            member=member, file=samples.upload("r.pdf", samples.pdf_bytes(pages=3)), name="r.pdf"
        )
    image_blob = Blob.objects.get(pk=photo.blob_id)
    assert set(image_blob.variants) == {"thumb", "display", "full"}
    assert image_blob.variants["thumb"]["mime"] == "image/png"  # transparency kept
    assert Blob.objects.get(pk=pdf.blob_id).pages == 3


def test_html_or_svg_stored_under_any_type_is_never_served_inline(member, start_thread, file_store):
    """Even a stored file whose type says HTML or SVG (say, from before the type checks)
    downloads as an attachment in a sandbox."""
    post = start_thread(member).posts.get()
    for mime, content in (
        ("text/html", b"<html><script>alert(1)</script></html>"),
        ("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>"),
    ):
        upload = attach_to(post, member, "plain.txt", f"placeholder {mime}".encode())
        (file_store / upload.blob.name).write_bytes(content)
        Blob.objects.filter(pk=upload.blob_id).update(mime=mime, kind=Kind.TEXT, size=len(content))
        response = client_for(member).get(reverse("attachment", args=[upload.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        variant = client_for(member).get(reverse("attachment_variant", args=[upload.pk, "display"]))
        assert variant.status_code == 404


def test_an_uploaded_svg_or_html_is_refused_at_the_door(member):
    client = client_for(member)
    for name, content in (
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'),
        ("page.pdf", b"<!doctype html><script>alert(1)</script>"),
    ):
        response = client.post(
            reverse("attachment_upload"), {"files": samples.upload(name, content)}
        )
        assert response.status_code == 400
        assert name in response.json()["errors"][0]


# --- who may fetch: the visibility matrix -----------------------------------------------


def fetch(member, attachment) -> int:
    return client_for(member).get(reverse("attachment", args=[attachment.pk])).status_code


def test_files_of_a_thread_out_of_a_members_audience_answer_404(
    member, other_country_member, zambia_thread, outsider
):
    post = zambia_thread.posts.get()
    pdf = attach_to(post, other_country_member, "zm.pdf", samples.pdf_bytes(marker="zm"))
    assert fetch(other_country_member, pdf) == 200
    assert fetch(member, pdf) == 404  # China: outside the Zambia-only audience
    assert fetch(outsider, pdf) == 404  # another working group
    missing_url = reverse("attachment", args=[999_999_999])
    missing = client_for(member).get(missing_url)
    url = reverse("attachment", args=[pdf.pk])
    out_of_audience = client_for(member).get(url)
    assert normalized(out_of_audience.content, url) == normalized(missing.content, missing_url)


def test_a_pending_posts_files_are_seen_by_its_author_and_the_moderators_only(
    cross_border_review, member, other_country_member, moderator, start_thread
):
    thread = start_thread(moderator)
    reply = thread_actions.reply(author=member, parent=thread.posts.get(), body="Cross-border")
    assert reply.status == PostStatus.PENDING
    pdf = attach_to(reply, member, "pending.pdf", samples.pdf_bytes(marker="pending"))
    assert fetch(member, pdf) == 200
    assert fetch(moderator, pdf) == 200
    assert fetch(other_country_member, pdf) == 404
    moderation.approve(
        moderator=moderator, review=Review.objects.get(post=reply, state=Review.State.OPEN)
    )
    assert fetch(other_country_member, pdf) == 200


def test_removing_a_post_hides_its_files_from_all_but_the_moderators(
    member, other_country_member, moderator, chair, start_thread
):
    thread = start_thread(member)
    pdf = attach_to(thread.posts.get(), member, "r.pdf", samples.pdf_bytes(marker="removed"))
    assert fetch(other_country_member, pdf) == 200
    thread_actions.remove_post(moderator=chair, post=thread.posts.get(), reason="Off topic.")
    assert fetch(other_country_member, pdf) == 404
    assert fetch(member, pdf) == 404  # its author too, like the removed text
    assert fetch(moderator, pdf) == 200  # the audit trail


def test_a_rejected_posts_files_are_hidden(
    cross_border_review, member, other_country_member, moderator, start_thread
):
    thread = start_thread(moderator)
    reply = thread_actions.reply(author=member, parent=thread.posts.get(), body="Cross-border")
    pdf = attach_to(reply, member, "rej.pdf", samples.pdf_bytes(marker="rejected"))
    moderation.reject(
        moderator=moderator,
        review=Review.objects.get(post=reply, state=Review.State.OPEN),
        reason="tone",
    )
    assert fetch(member, pdf) == 404
    assert fetch(other_country_member, pdf) == 404


def test_an_unattached_upload_is_seen_by_its_uploader_only(member, other_country_member):
    upload = files.upload(member=member, file=samples.upload("n.txt", b"note"), name="n.txt")
    assert fetch(member, upload) == 200
    assert fetch(other_country_member, upload) == 404


def test_anonymous_visitors_are_sent_to_sign_in(member, start_thread, anonymous_client):
    pdf = attach_to(start_thread(member).posts.get(), member, "a.pdf", samples.pdf_bytes())
    response = anonymous_client.get(reverse("attachment", args=[pdf.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_chat_files_follow_the_meeting_and_the_message(
    live_meeting, member, outsider, chair, moderator
):
    from forum.actions import meetings

    message, _created = meetings.send_chat(
        author=member, meeting=live_meeting, client_id="c-1", body="Slides"
    )
    pdf = attach_to(message, member, "slides.pdf", samples.pdf_bytes(marker="slides"))
    assert fetch(chair, pdf) == 200
    assert fetch(outsider, pdf) == 404
    meetings.remove_chat_message(member=chair, message=message, reason="Wrong room")
    assert fetch(member, pdf) == 404
    assert fetch(moderator, pdf) == 200


def test_a_front_proxy_sends_the_file_itself(member, start_thread, settings):
    settings.ATTACHMENT_SENDFILE = "x-accel-redirect"
    settings.ATTACHMENT_SENDFILE_PREFIX = "/protected-files/"
    pdf = attach_to(start_thread(member).posts.get(), member, "a.pdf", samples.pdf_bytes())
    response = client_for(member).get(reverse("attachment", args=[pdf.pk]))
    assert response["X-Accel-Redirect"] == f"/protected-files/{pdf.blob.name}"
    assert response.content == b""
    assert response["Content-Disposition"].startswith("attachment;")


def test_x_sendfile_names_the_file_on_disk(member, start_thread, settings, file_store):
    settings.ATTACHMENT_SENDFILE = "x-sendfile"
    pdf = attach_to(start_thread(member).posts.get(), member, "a.pdf", samples.pdf_bytes())
    response = client_for(member).get(reverse("attachment", args=[pdf.pk]))
    assert response["X-Sendfile"] == str(file_store / pdf.blob.name)
