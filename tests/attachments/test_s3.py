"""The same files on an S3-compatible store (moto's server on a free port), configured
the way production is: STORAGE_URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from attachments import config, storage
from attachments.actions import cleanup, files
from attachments.models import Blob
from tests.attachments import samples
from tests.attachments.s3 import Bucket, s3_bucket, s3_server  # noqa: F401 (fixtures)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3_store(request, settings) -> Bucket:
    """The attachments' storage on the S3 server, as STORAGE_URL would configure it."""
    bucket = request.getfixturevalue("s3_bucket")
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": config.storage(bucket.url, django_settings.BASE_DIR),
    }
    return bucket


def test_storage_url_names_an_s3_compatible_store():
    found = config.storage("s3://AK:S%2Fk@minio.example.org:9000/files?region=eu-west-1", "/x")
    assert found["BACKEND"] == "storages.backends.s3.S3Storage"
    options = found["OPTIONS"]
    assert options["endpoint_url"] == "https://minio.example.org:9000"
    assert (options["access_key"], options["secret_key"]) == ("AK", "S/k")
    assert (options["bucket_name"], options["region_name"]) == ("files", "eu-west-1")
    assert config.storage(None, django_settings.BASE_DIR)["BACKEND"].endswith("FileSystemStorage")


def test_files_are_stored_once_served_and_pruned_on_s3(
    s3_store,
    member,
    other_country_member,
    outsider,
    start_thread,
    django_capture_on_commit_callbacks,
):
    assert type(storage.files()).__name__ == "S3Storage"
    post = start_thread(member).posts.get()
    content = samples.pdf_bytes(pages=2)
    with django_capture_on_commit_callbacks(execute=True):
        first = files.upload(member=member, file=samples.upload("a.pdf", content), name="a.pdf")
        again = files.upload(member=member, file=samples.upload("b.pdf", content), name="b.pdf")
        photo = files.upload(
            member=member, file=samples.upload("p.jpg", samples.jpeg_with_gps()), name="p.jpg"
        )
    assert first.blob_id == again.blob_id
    files.attach(member=member, owner=post, uploads=[first, photo])
    stored = s3_store.stored_keys()
    assert first.blob.name in stored
    assert any(key.endswith("/thumb.jpg") for key in stored)
    assert Blob.objects.get(pk=first.blob_id).pages == 2

    response = client_for(other_country_member).get(reverse("attachment", args=[first.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    thumb = client_for(other_country_member).get(
        reverse("attachment_variant", args=[photo.pk, "thumb"])
    )
    assert thumb.status_code == 200 and b"SpyCam" not in b"".join(thumb.streaming_content)
    assert client_for(outsider).get(reverse("attachment", args=[first.pk])).status_code == 404

    # The orphan (b.pdf) goes; its content stays, used by a.pdf. Then detaching all frees it.
    later = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert cleanup.prune(now=later) == {"orphans": 1, "expired": 0, "blobs": 0}
    files.attach(member=member, owner=post, uploads=[], detach=[first.pk, photo.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert cleanup.prune(now=later)["blobs"] == 2
    assert s3_store.stored_keys() == []
