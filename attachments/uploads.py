"""Upload handling: streamed to a temporary file and hashed chunk by chunk as it arrives.

Installed for the whole site (FILE_UPLOAD_HANDLERS), so no uploaded file is ever held
whole in memory. A file larger than ATTACHMENT_MAX_BYTES stops being written at the
limit and arrives marked `too_large`, so the form can say so and keep the rest.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_bytes() -> int:
    return getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Write each file to a temporary file, computing its SHA-256 and size on the way."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.sha256 = hashlib.sha256()
        self.received = 0
        self.limit = max_bytes()
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True  # keep reading the request, store nothing more
            return None
        self.sha256.update(raw_data)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        self.file.seek(0)
        self.file.size = min(file_size, self.limit)
        self.file.sha256 = self.sha256.hexdigest()
        self.file.too_large = self.too_large
        self.file.received = self.received
        return self.file
