"""Uploads: stored once per content, within the limits and the member's daily allowance."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from attachments import storage
from attachments.actions import files
from attachments.models import Attachment, Blob, Kind
from tests.attachments import samples

pytestmark = pytest.mark.django_db


def test_the_same_content_uploaded_twice_is_stored_once(member, other_country_member, file_store):
    content = samples.pdf_bytes()
    first = files.upload(member=member, file=samples.upload("a.pdf", content), name="a.pdf")
    second = files.upload(
        member=other_country_member, file=samples.upload("b.pdf", content), name="b.pdf"
    )
    assert first.blob_id == second.blob_id
    assert Blob.objects.count() == 1
    stored = list(file_store.rglob("*"))
    assert [p.name for p in stored if p.is_file()] == [first.blob.sha256]
    assert storage.files().open(first.blob.name).read() == content
    assert (first.name, second.name) == ("a.pdf", "b.pdf")


def test_an_upload_starts_unattached_and_typed_by_content(member):
    attachment = files.upload(
        member=member, file=samples.upload("x.txt", samples.pdf_bytes()), name="x.txt"
    )
    assert attachment.owner_id is None and attachment.uploader == member
    assert (attachment.blob.kind, attachment.blob.mime) == (Kind.PDF, "application/pdf")


def test_a_file_over_the_size_limit_is_refused_with_its_name(member, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as refused:
        files.upload(member=member, file=samples.upload("big.txt", b"a" * 1001), name="big.txt")
    assert refused.value.code == "file_too_large"
    assert "big.txt" in refused.value.messages[0]
    assert not Attachment.objects.exists() and not Blob.objects.exists()


def test_an_empty_file_is_refused(member):
    with pytest.raises(ValidationError) as refused:
        files.upload(member=member, file=samples.upload("e.txt", b""), name="e.txt")
    assert refused.value.code == "file_empty"


def test_the_daily_allowance_counts_a_members_uploads_of_the_last_day(member, settings):
    settings.ATTACHMENT_DAILY_QUOTA_BYTES = 25
    files.upload(member=member, file=samples.upload("a.txt", b"a" * 20), name="a.txt")
    with pytest.raises(ValidationError) as refused:
        files.upload(member=member, file=samples.upload("b.txt", b"b" * 10), name="b.txt")
    assert refused.value.code == "quota"
    Attachment.objects.update(uploaded_at="2020-01-01T00:00:00Z")
    files.upload(member=member, file=samples.upload("b.txt", b"b" * 10), name="b.txt")


def test_names_lose_directories_and_control_characters():
    assert files.clean_name("../../etc/passwd") == "passwd"
    assert files.clean_name("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert files.clean_name("bad\u202ename\x00.pdf") == "badname.pdf"
    assert files.clean_name("") == "file"
    long = files.clean_name("x" * 300 + ".pdf")
    assert len(long) <= 200 and long.endswith(".pdf")


def test_an_image_bomb_is_refused(member, settings):
    settings.ATTACHMENT_MAX_PIXELS = 100
    with pytest.raises(ValidationError) as refused:
        files.upload(member=member, file=samples.upload("p.png", samples.png_bytes()), name="p.png")
    assert refused.value.code == "image_too_large"


def test_a_broken_image_is_refused(member):
    with pytest.raises(ValidationError) as refused:
        files.upload(
            member=member, file=samples.upload("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50), name="p"
        )
    assert refused.value.code == "image_broken"


def test_attach_puts_uploads_on_a_post_in_order(member, start_thread):
    thread = start_thread(member)
    post = thread.posts.get()
    uploads = [
        files.upload(member=member, file=samples.upload(f"{n}.txt", f"{n}".encode()), name=f"{n}")
        for n in range(3)
    ]
    attached = files.attach(member=member, owner=post, uploads=uploads)
    assert [a.name for a in attached] == ["0", "1", "2"]
    assert all(a.owner_id == post.pk and a.attached_at for a in attached)


def test_at_most_ten_files_a_post(member, start_thread, settings):
    settings.ATTACHMENT_MAX_PER_POST = 2
    post = start_thread(member).posts.get()
    uploads = [
        files.upload(member=member, file=samples.upload(f"{n}.txt", b"x%d" % n), name=f"{n}")
        for n in range(3)
    ]
    with pytest.raises(ValidationError) as refused:
        files.attach(member=member, owner=post, uploads=uploads)
    assert refused.value.code == "too_many_files"
    assert not Attachment.objects.filter(owner_id__isnull=False).exists()


def test_someone_elses_upload_cannot_be_attached(member, other_country_member, start_thread):
    post = start_thread(member).posts.get()
    theirs = files.upload(
        member=other_country_member, file=samples.upload("t.txt", b"theirs"), name="t.txt"
    )
    with pytest.raises(ValidationError):
        files.attach(member=member, owner=post, uploads=[theirs])


def test_a_refused_file_undoes_the_post_it_came_with(member, legal, settings):
    from forum.actions import threads
    from forum.models import Thread

    settings.ATTACHMENT_MAX_PER_POST = 1
    uploads = [
        files.upload(member=member, file=samples.upload(f"{n}.txt", b"y%d" % n), name=f"{n}")
        for n in range(2)
    ]
    with pytest.raises(ValidationError):
        files.with_files(
            member=member,
            uploads=uploads,
            write=lambda: threads.create_thread(
                author=member, group=legal, title="With files", body="Body"
            ),
            owner_of=lambda thread: thread.posts.get(),
        )
    assert not Thread.objects.exists()
