"""A file's type comes from its content, never from its name."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from attachments import types
from attachments.models import Kind
from tests.attachments import samples


def detect(content: bytes, name: str) -> types.FileType:
    return types.detect(io.BytesIO(content), name)


@pytest.mark.parametrize(
    ("content", "name", "mime", "kind"),
    [
        (samples.pdf_bytes(), "report.pdf", "application/pdf", Kind.PDF),
        (samples.pdf_bytes(), "report.txt", "application/pdf", Kind.PDF),
        (samples.jpeg_with_gps(), "photo.png", "image/jpeg", Kind.IMAGE),
        (samples.png_bytes(), "diagram", "image/png", Kind.IMAGE),
        (b"GIF89a" + b"\0" * 20, "a.gif", "image/gif", Kind.IMAGE),
        (b"RIFF\x10\0\0\0WEBPVP8 ", "a.webp", "image/webp", Kind.IMAGE),
        (
            samples.docx_bytes(),
            "draft.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind.DOCUMENT,
        ),
        (
            samples.odt_bytes(),
            "draft.odt",
            "application/vnd.oasis.opendocument.text",
            Kind.DOCUMENT,
        ),
        (samples.zip_bytes(), "bundle.zip", "application/zip", Kind.ARCHIVE),
        (types.OLE2_MAGIC + b"\0" * 100, "old.xls", "application/vnd.ms-excel", Kind.SPREADSHEET),
        ("Mining code: 第三条\n".encode(), "notes.txt", "text/plain", Kind.TEXT),
        (b"country,projects\nZM,3\n", "table.csv", "text/csv", Kind.TEXT),
    ],
)
def test_accepted_types_are_recognized_by_content(content, name, mime, kind):
    found = detect(content, name)
    assert (found.mime, found.kind) == (mime, kind)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "report.pdf"),
        (b"  <html><body>hi</body></html>", "notes.txt"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "logo.png"),
        (b'<?xml version="1.0"?><svg/>', "logo.svg"),
        (b"hello <script>alert(1)</script>", "notes.txt"),
        (b"\x7fELF\x02\x01\x01\0\0\0", "tool.pdf"),
        (b"MZ\x90\0\x03\0\0\0", "setup.docx"),
    ],
)
def test_markup_and_programs_are_refused_whatever_their_name(content, name):
    with pytest.raises(ValidationError) as refused:
        detect(content, name)
    assert refused.value.code == "file_type"
    assert name in refused.value.messages[0]


def test_a_zip_bomb_named_mimetype_is_not_unpacked_to_sniff_it():
    """Sniffing an OpenDocument reads the first bytes of its `mimetype` member, never all
    of it: here 64 MB of zeros packed into a few kilobytes."""
    import tracemalloc
    import zipfile

    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("mimetype", "w") as member,
    ):
        for _ in range(64):
            member.write(b"\0" * (1024 * 1024))
    tracemalloc.start()
    try:
        found = detect(out.getvalue(), "bomb.odt")
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == types.ZIP
    assert peak < 8 * 1024 * 1024
