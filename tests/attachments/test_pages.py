"""Attaching from the forum's forms, with JavaScript off: a plain multipart form."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from attachments.actions import files as file_actions
from attachments.models import Attachment
from forum.models import ChatMessage, Post, Thread
from tests.attachments import samples
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_reply_carries_a_pdf_and_an_image_shown_on_the_thread_page(
    member, other_country_member, start_thread, django_capture_on_commit_callbacks
):
    thread = start_thread(member)
    client = client_for(other_country_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("thread_reply", args=[thread.pk]),
            {
                "body": "The gazette and a photo.",
                "files": [
                    samples.upload("gazette.pdf", samples.pdf_bytes(pages=4)),
                    samples.upload("site.jpg", samples.jpeg_with_gps()),
                ],
            },
        )
    assert response.status_code == 302
    reply = Post.objects.get(thread=thread, number=2)
    files = list(Attachment.objects.filter(owner_id=reply.pk).order_by("position"))
    assert [a.name for a in files] == ["gazette.pdf", "site.jpg"]
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    pdf, photo = files
    assert reverse("attachment", args=[pdf.pk]) in page
    assert "4 pages" in page
    assert reverse("attachment_variant", args=[photo.pk, "thumb"]) in page
    assert reverse("attachment_variant", args=[photo.pk, "display"]) in page


def test_a_new_thread_carries_files_on_its_opening_post(member, legal):
    response = client_for(member).post(
        reverse("thread_new", args=[legal.slug]),
        {
            "title": "Draft regulation",
            "body": "See attached.",
            "audience": "group",
            "files": samples.upload("draft.docx", samples.docx_bytes()),
        },
    )
    assert response.status_code == 302
    opening = Thread.objects.get(title="Draft regulation").posts.get()
    assert Attachment.objects.get(owner_id=opening.pk).name == "draft.docx"


def test_a_refused_file_keeps_what_was_typed_and_the_files_already_taken(member, start_thread):
    thread = start_thread(member)
    client = client_for(member)
    response = client.post(
        reverse("post_reply", args=[thread.posts.get().pk]),
        {
            "body": "My carefully typed reply",
            "files": [
                samples.upload("fine.pdf", samples.pdf_bytes()),
                samples.upload("evil.pdf", b"<html><script>alert(1)</script></html>"),
            ],
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "My carefully typed reply" in page
    assert "evil.pdf" in page and "not a file type we accept" in page
    kept = Attachment.objects.get(name="fine.pdf")
    assert f'name="attachment" value="{kept.pk}"' in page
    assert Post.objects.filter(thread=thread).count() == 1
    # Sent again with the kept file's id, the reply goes through with it.
    response = client.post(
        reverse("post_reply", args=[thread.posts.get().pk]),
        {"body": "My carefully typed reply", "attachment": [kept.pk]},
    )
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.owner_id == Post.objects.get(thread=thread, number=2).pk


def test_an_edit_adds_files_and_removes_chosen_ones(member, start_thread):
    thread = start_thread(member)
    post = thread.posts.get()
    client = client_for(member)
    url = reverse("post_edit", args=[post.pk])
    data = {"title": thread.title, "body": "Edited", "files": samples.upload("a.txt", b"one")}
    assert client.post(url, data).status_code == 302
    first = Attachment.objects.get(owner_id=post.pk)
    page = client.get(url).content.decode()
    assert f'name="detach" value="{first.pk}"' in page
    data = {
        "title": thread.title,
        "body": "Edited again",
        "detach": [first.pk],
        "files": samples.upload("b.txt", b"two"),
    }
    assert client.post(url, data).status_code == 302
    assert list(Attachment.objects.filter(owner_id=post.pk).values_list("name", flat=True)) == [
        "b.txt"
    ]


def test_a_chat_message_carries_files_without_javascript(live_meeting, member):
    client = client_for(member)
    response = client.post(
        reverse("meeting_chat", args=[live_meeting.pk]),
        {
            "client_id": "form-1",
            "body": "Slides for today",
            "files": samples.upload("slides.pdf", samples.pdf_bytes()),
        },
    )
    assert response.status_code == 302
    message = ChatMessage.objects.get(client_id="form-1")
    attachment = Attachment.objects.get(owner_id=message.pk)
    page = client.get(live_meeting.get_absolute_url()).content.decode()
    assert reverse("attachment", args=[attachment.pk]) in page


def test_the_forms_send_files_as_multipart_with_a_multiple_file_input(member, start_thread):
    thread = start_thread(member)
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    form = re.search(r"<form[^>]*reply-form[^>]*>", page).group(0)
    assert 'enctype="multipart/form-data"' in form
    assert re.search(r'<input type="file" name="files"[^>]* multiple', page)


def test_the_upload_endpoint_answers_json_for_the_pages_script(member):
    response = client_for(member).post(
        reverse("attachment_upload"), {"files": samples.upload("n.csv", b"a,b\n1,2\n")}
    )
    assert response.status_code == 200
    (stored,) = response.json()["files"]
    assert (stored["name"], stored["mime"]) == ("n.csv", "text/csv")


def test_attaching_a_file_changes_the_thread_pages_etag(member, start_thread):
    thread = start_thread(member)
    client = client_for(member)
    before = client.get(thread.get_absolute_url())["ETag"]
    assert client.get(thread.get_absolute_url())["ETag"] == before
    upload = file_actions.upload(member=member, file=samples.upload("a.txt", b"a"), name="a.txt")
    file_actions.attach(member=member, owner=thread.posts.get(), uploads=[upload])
    assert client.get(thread.get_absolute_url())["ETag"] != before
