"""A real S3-compatible server for tests: moto's, in a thread, on a free port."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import pytest

from tests.conftest import skip_or_fail

BUCKET = "forum-files"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Bucket:
    address: str  # host:port
    client: object  # a boto3 S3 client

    @property
    def url(self) -> str:
        """The STORAGE_URL that names this bucket."""
        return f"s3+http://test-key:test-secret@{self.address}/{BUCKET}?region=us-east-1"

    def stored_keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return sorted(item["Key"] for item in listed)


@pytest.fixture(scope="module")
def s3_server():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        skip_or_fail("moto[server] is not installed")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_server):
    """An empty bucket on the S3 server, removed with its contents afterwards."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=f"http://{s3_server}",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    bucket = Bucket(address=s3_server, client=client)
    yield bucket
    for key in bucket.stored_keys():
        client.delete_object(Bucket=BUCKET, Key=key)
    client.delete_bucket(Bucket=BUCKET)
