"""Each attachments test stores its files in a directory of its own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def file_store(tmp_path, settings):
    """Point the attachments storage at a fresh directory; return it."""
    location = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location
