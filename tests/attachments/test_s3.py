"""The same files on an S3-compatible store (moto's server on a free port), configured
the way production is: STORAGE_URL."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from attachments import config, storage
from attachments.actions import cleanup, files
from attachments.models import Blob
from tests.attachments import samples
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BUCKET = "forum-files"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    moto_server = pytest.importorskip("moto.server")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_server, settings):
    import boto3

    url = f"s3+http://test-key:test-secret@{s3_server}/{BUCKET}?region=us-east-1"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{s3_server}",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": config.storage(url, django_settings.BASE_DIR),
    }
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


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
    stored = keys(s3_store)
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
    assert keys(s3_store) == []
