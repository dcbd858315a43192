"""Read the attachments' storage from STORAGE_URL. Only forum/settings.py calls this."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def storage(url: str | None, base_dir: Path) -> dict[str, object]:
    """Return STORAGES["attachments"] for STORAGE_URL.

    No URL: the local file system under var/attachments (never served by the static
    files' server); `file:///srv/forum-files`: another directory.
    `s3://key:secret@host:port/bucket?region=eu-west-1` (HTTPS) or `s3+http://...`
    (plain HTTP: a local MinIO or test server): any S3-compatible store through
    django-storages; without a host, Amazon S3 itself.
    """
    if not url:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(base_dir / "var" / "attachments"), "base_url": None},
        }
    parts = urlsplit(url)
    if parts.scheme == "file":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": unquote(parts.path), "base_url": None},
        }
    if parts.scheme not in ("s3", "s3+http", "s3+https"):
        raise ImproperlyConfigured(
            f"STORAGE_URL must start with file://, s3:// or s3+http://, not {url!r}"
        )
    bucket = parts.path.strip("/")
    if not bucket or "/" in bucket:
        raise ImproperlyConfigured("STORAGE_URL must name one bucket: s3://key:secret@host/bucket")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options: dict[str, object] = {
        "bucket_name": bucket,
        "access_key": unquote(parts.username or ""),
        "secret_key": unquote(parts.password or ""),
        "region_name": query.get("region") or None,
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": True,  # names are content hashes: the same name is the same file
        "location": query.get("prefix", ""),
        # An opened file spools to disk past 1 MB (the default keeps it whole in memory).
        "max_memory_size": 1024 * 1024,
    }
    if parts.hostname:
        http = "http" if parts.scheme == "s3+http" else "https"
        port = f":{parts.port}" if parts.port else ""
        options["endpoint_url"] = f"{http}://{parts.hostname}{port}"
        options["addressing_style"] = query.get("addressing", "path")
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
