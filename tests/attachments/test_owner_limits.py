"""An owner kind's own limits: at most `max_files` files of at most `max_bytes` each,
whatever the site-wide settings say."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from attachments import owners
from attachments.actions import files
from attachments.forms import Uploads
from attachments.models import Attachment
from forum.models import Post
from tests.attachments import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_posts(monkeypatch):
    """Posts take at most two files of at most 10 bytes each."""
    kind = dataclasses.replace(owners.kind_of(Post), max_files=2, max_bytes=10)
    monkeypatch.setitem(owners._KINDS, "forum.post", kind)
    return kind


def _upload(member, name: str, content: bytes) -> Attachment:
    return files.upload(member=member, file=samples.upload(name, content), name=name)


def test_attach_refuses_a_file_over_the_kinds_own_size_by_name(member, start_thread, small_posts):
    post = start_thread(member).posts.get()
    fits, too_big = _upload(member, "a.txt", b"tiny"), _upload(member, "b.txt", b"eleven byte")
    with pytest.raises(ValidationError) as refused:
        files.attach(member=member, owner=post, uploads=[fits, too_big])
    assert refused.value.code == "file_too_large"
    assert "b.txt" in refused.value.messages[0]
    assert not Attachment.objects.filter(owner_id__isnull=False).exists()


def test_attach_refuses_more_files_than_the_kind_takes(member, start_thread, small_posts):
    post = start_thread(member).posts.get()
    uploads = [_upload(member, f"{n}.txt", b"x%d" % n) for n in range(3)]
    with pytest.raises(ValidationError) as refused:
        files.attach(member=member, owner=post, uploads=uploads)
    assert refused.value.code == "too_many_files"


def test_a_forms_uploads_say_and_check_the_kinds_limits_before_writing(
    member, start_thread, small_posts
):
    post = start_thread(member).posts.get()
    request = RequestFactory().post(
        "/", {"files": [samples.upload("big.txt", b"more than ten bytes")]}
    )
    request.user = member
    uploads = Uploads(request, kind="forum.Post")
    assert (uploads.max_files, uploads.max_bytes) == (2, 10)
    assert not uploads.is_valid()
    assert "big.txt" in uploads.errors[0]
    assert uploads.pending == []  # a refused file is not kept for the next submit
    # Editing an owner: the files already on it count towards its limit.
    existing = [_upload(member, f"{n}.txt", b"%d" % n) for n in range(2)]
    files.attach(member=member, owner=post, uploads=existing)
    request = RequestFactory().post("/", {"files": [samples.upload("c.txt", b"third")]})
    request.user = member
    editing = Uploads(request, owner=post)
    assert not editing.is_valid()
    assert "At most 2 files" in editing.errors[0]


def test_without_a_kind_the_settings_limits_apply(member, settings):
    settings.ATTACHMENT_MAX_PER_POST = 7
    settings.ATTACHMENT_MAX_BYTES = 1234
    request = RequestFactory().get("/")
    request.user = member
    uploads = Uploads(request)
    assert (uploads.max_files, uploads.max_bytes) == (7, 1234)
