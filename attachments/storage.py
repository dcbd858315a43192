"""Where the files live: Django's storage API, so the file system and S3 look alike."""

from __future__ import annotations

from django.core.files.storage import Storage, storages

ALIAS = "attachments"


def files() -> Storage:
    """Return the attachments' storage (STORAGES["attachments"], else the default)."""
    try:
        return storages[ALIAS]
    except Exception:  # InvalidStorageError: the alias is not configured
        return storages["default"]


def blob_name(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256}"


def variant_name(sha256: str, variant: str, extension: str) -> str:
    return f"variants/{sha256[:2]}/{sha256}/{variant}.{extension}"
