"""Uploads never attached go after a day; removed posts keep their files until the
retention setting says otherwise; stored content without attachments goes with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from attachments.actions import cleanup, files
from attachments.models import Attachment, Blob
from forum.actions import threads as thread_actions
from tests.attachments import samples

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def uploaded_at(member, name: str, content: bytes, when: datetime) -> Attachment:
    attachment = files.upload(member=member, file=samples.upload(name, content), name=name)
    Attachment.objects.filter(pk=attachment.pk).update(uploaded_at=when)
    return attachment


def test_orphans_older_than_a_day_are_removed_with_their_stored_file(
    member, file_store, django_capture_on_commit_callbacks
):
    old = uploaded_at(member, "old.txt", b"old", NOON - timedelta(hours=25))
    fresh = uploaded_at(member, "fresh.txt", b"fresh", NOON - timedelta(hours=23))
    stored = file_store / old.blob.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        counts = cleanup.prune(now=NOON)
    assert counts == {"orphans": 1, "expired": 0, "blobs": 1}
    assert list(Attachment.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not stored.exists()
    assert (file_store / fresh.blob.name).exists()


def test_content_still_used_by_another_attachment_stays(member, start_thread):
    post = start_thread(member).posts.get()
    kept = files.upload(member=member, file=samples.upload("a.txt", b"same"), name="a.txt")
    files.attach(member=member, owner=post, uploads=[kept])
    uploaded_at(member, "b.txt", b"same", NOON - timedelta(days=3))
    assert cleanup.prune(now=NOON) == {"orphans": 1, "expired": 0, "blobs": 0}
    assert Blob.objects.count() == 1


def test_attached_files_are_never_orphans(member, start_thread):
    post = start_thread(member).posts.get()
    upload = uploaded_at(member, "a.txt", b"a", NOON - timedelta(days=30))
    files.attach(member=member, owner=post, uploads=[upload])
    assert cleanup.prune(now=NOON)["orphans"] == 0


def test_removed_posts_keep_their_files_until_the_retention_setting_ends_it(
    member, chair, start_thread, settings
):
    post = start_thread(member).posts.get()
    upload = files.upload(member=member, file=samples.upload("r.txt", b"r"), name="r.txt")
    files.attach(member=member, owner=post, uploads=[upload])
    thread_actions.remove_post(moderator=chair, post=post, reason="Off topic.")
    post.refresh_from_db()
    later = post.removed_at + timedelta(days=400)
    settings.ATTACHMENT_REMOVED_RETENTION_DAYS = None
    assert cleanup.prune(now=later)["expired"] == 0
    settings.ATTACHMENT_REMOVED_RETENTION_DAYS = 365
    assert cleanup.prune(now=post.removed_at + timedelta(days=364))["expired"] == 0
    assert cleanup.prune(now=later)["expired"] == 1
    assert not Attachment.objects.exists()


def test_the_daily_job_runs_as_a_command(member, capsys):
    uploaded_at(member, "old.txt", b"old", datetime(2020, 1, 1, tzinfo=UTC))
    call_command("prune_attachments")
    assert "Deleted 1 orphan uploads" in capsys.readouterr().out
