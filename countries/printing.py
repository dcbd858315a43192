"""The annual report as printable HTML and as PDF (WeasyPrint, imported only when used)."""

from __future__ import annotations

import hashlib

from django.template.loader import render_to_string

from countries.pages import Report


def render_html(content: Report) -> str:
    """Return the report as one self-contained HTML document (print CSS inline)."""
    return render_to_string("countries/report.html", {"report": content})


def render_pdf(html: str) -> bytes:
    """Return the PDF of a report's HTML. WeasyPrint (and Pango) load only here."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None).write_pdf()


def sha256(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()
