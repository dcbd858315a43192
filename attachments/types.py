"""What a file is, judged by its content, never by its name.

Only the types listed here are accepted: PDF, Office (OOXML and legacy), OpenDocument,
JPEG/PNG/GIF/WebP images, plain text, CSV and ZIP. HTML, SVG, XML and scripts are
refused even when named `.pdf` or `.txt`, so nothing uploaded can run in our origin.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from attachments.models import Kind

SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    mime: str
    kind: str
    extension: str  # what a name of this type ends with, for a download name


IMAGE_TYPES = {
    "image/jpeg": FileType("image/jpeg", Kind.IMAGE, "jpg"),
    "image/png": FileType("image/png", Kind.IMAGE, "png"),
    "image/gif": FileType("image/gif", Kind.IMAGE, "gif"),
    "image/webp": FileType("image/webp", Kind.IMAGE, "webp"),
}
# Served inline (as <img>) only when the stored type is one of these.
INLINE_MIMES = frozenset(IMAGE_TYPES)

PDF = FileType("application/pdf", Kind.PDF, "pdf")
ZIP = FileType("application/zip", Kind.ARCHIVE, "zip")
CSV = FileType("text/csv", Kind.TEXT, "csv")
TEXT = FileType("text/plain", Kind.TEXT, "txt")

OOXML = {
    "word/": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Kind.DOCUMENT,
        "docx",
    ),
    "xl/": FileType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Kind.SPREADSHEET,
        "xlsx",
    ),
    "ppt/": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Kind.PRESENTATION,
        "pptx",
    ),
}
OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": FileType(
        "application/vnd.oasis.opendocument.text", Kind.DOCUMENT, "odt"
    ),
    "application/vnd.oasis.opendocument.spreadsheet": FileType(
        "application/vnd.oasis.opendocument.spreadsheet", Kind.SPREADSHEET, "ods"
    ),
    "application/vnd.oasis.opendocument.presentation": FileType(
        "application/vnd.oasis.opendocument.presentation", Kind.PRESENTATION, "odp"
    ),
}
# Legacy Office files share one container (OLE2): the name tells Word from Excel.
LEGACY_OFFICE = {
    "doc": FileType("application/msword", Kind.DOCUMENT, "doc"),
    "xls": FileType("application/vnd.ms-excel", Kind.SPREADSHEET, "xls"),
    "ppt": FileType("application/vnd.ms-powerpoint", Kind.PRESENTATION, "ppt"),
}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Markup that a browser would run or render, refused as text whatever the name says.
_MARKUP = (b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"<head", b"<body", b"<iframe")


def _extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def _refuse(name: str) -> ValidationError:
    return ValidationError(
        _(
            "“%(name)s” is not a file type we accept. Attach PDF, Office or OpenDocument "
            "files, images (JPEG, PNG, GIF, WebP), plain text, CSV or ZIP."
        )
        % {"name": name},
        code="file_type",
    )


def _zip_type(file: IO[bytes]) -> FileType:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                with archive.open("mimetype") as member:  # its first bytes, never all of it
                    declared = member.read(100).decode("ascii", "replace").strip()
                if declared in OPENDOCUMENT:
                    return OPENDOCUMENT[declared]
            if "[Content_Types].xml" in names:
                for prefix, found in OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return found
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return ZIP  # a ZIP we cannot read whole is still only a download
    return ZIP


def _text_type(head: bytes, name: str) -> FileType | None:
    if b"\x00" in head:
        return None
    text = head.removeprefix(b"\xef\xbb\xbf")
    try:
        # A multi-byte character may be cut at the end of the sniffed bytes.
        text.decode("utf-8") if len(head) < SNIFF_BYTES else text[:-4].decode("utf-8")
    except UnicodeDecodeError:
        return None
    lowered = text.lstrip().lower()
    if lowered.startswith(_MARKUP) or any(tag in lowered for tag in (b"<script", b"<svg")):
        return None
    return CSV if _extension(name) == "csv" else TEXT


def detect(file: IO[bytes], name: str) -> FileType:
    """Return the type of `file` from its first bytes (and, for ZIPs, its directory).

    Raise ValidationError when it is not one of the accepted types.
    """
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    found: FileType | None = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\xff\xd8\xff"):
        found = IMAGE_TYPES["image/jpeg"]
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = IMAGE_TYPES["image/png"]
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        found = IMAGE_TYPES["image/gif"]
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        found = IMAGE_TYPES["image/webp"]
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_type(file)
        file.seek(0)
    elif head.startswith(OLE2_MAGIC):
        found = LEGACY_OFFICE.get(_extension(name), LEGACY_OFFICE["doc"])
    elif head:
        found = _text_type(head, name)
    if found is None:
        raise _refuse(name)
    return found
