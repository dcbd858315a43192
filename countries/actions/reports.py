"""Publishing the partners edition of a country's annual report: freezing it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Member
from countries import pages, printing, reference
from countries import visibility as rules
from countries.models import FrozenReport

FIRST_YEAR = 2000


def check_year(year: int) -> int:
    """Return `year` if a report may exist for it: from FIRST_YEAR to this year."""
    if not FIRST_YEAR <= year <= timezone.localdate().year:
        raise ValidationError(_("There is no report for that year."))
    return year


def publish_report(*, chair: Member, country: str, year: int) -> FrozenReport:
    """Freeze the partners edition of `country`'s report for `year`: its HTML and PDF are
    stored with their SHA-256 checksums and served as stored from now on."""
    if not rules.can_publish_report(chair):
        raise PermissionDenied(_("Only a legal-policy chair publishes a report."))
    code = (country or "").upper()
    if not reference.is_partner(code):
        raise ValidationError(_("Reports are for partner countries only."))
    check_year(year)
    if rules.frozen_report(code, year) is not None:
        raise ValidationError(_("This report is already published."))
    # Render before writing: the transaction holds no lock while WeasyPrint works.
    html = printing.render_html(pages.report(chair, code, year, "partners"))
    pdf = printing.render_pdf(html)
    try:
        with transaction.atomic():
            return FrozenReport.objects.create(
                country_id=code,
                year=year,
                edition="partners",
                language=get_language() or "en",
                html=html,
                pdf=pdf,
                html_sha256=printing.sha256(html),
                pdf_sha256=printing.sha256(pdf),
                published_by=chair,
            )
    except IntegrityError:
        raise ValidationError(_("This report is already published.")) from None


def verify(frozen: FrozenReport) -> bool:
    """Return whether the stored HTML and PDF still match their checksums."""
    return (
        printing.sha256(frozen.html) == frozen.html_sha256
        and printing.sha256(bytes(frozen.pdf)) == frozen.pdf_sha256
    )
