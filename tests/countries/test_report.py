import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from countries.actions import reports
from countries.models import FrozenReport
from tests.conftest import client_for
from tests.countries.helpers import publish

pytestmark = pytest.mark.django_db

CHINESE = "投资风险说明"
ARABIC = "تقييم المخاطر"
SECTIONS = (
    "Year-end levels against the previous year",
    "Assessments of the year",
    "Risk notes of the year",
    "Listings hosted in the country",
    "Announceable agreements",
    "Sources",
    "Method and level definitions",
    "Disclaimer",
    "not a credit rating",
)


@pytest.fixture
def zambia(assessor, moderator, member, start_thread):
    """Zambia in 2025 and 2026, a CN-only note and a note for all partners."""
    publish(assessor, moderator, "ZM", on=date(2025, 6, 1))
    publish(
        assessor,
        moderator,
        "ZM",
        on=date(2026, 3, 1),
        levels={"political-security": 4},
        reasoning=f"Elections ahead. {CHINESE} {ARABIC}",
    )
    cn_only = start_thread(
        member,
        title="Zq-cn-only note on Zambia",
        body="For Chinese companies only.",
        audience="domestic",
        country_tags=["ZM"],
    )
    everyone = start_thread(
        member,
        title="Zq-partners note on Zambia",
        body=f"For every partner. {CHINESE} {ARABIC}",
        country_tags=["ZM"],
    )
    return cn_only, everyone


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_partners_edition_leaves_out_a_cn_only_note(zambia, member):
    client = client_for(member)  # a CN member: may read the CN-only note
    partners = client.get(reverse("countries:report", args=["ZM", 2026])).content.decode()
    assert "Zq-partners note" in partners
    assert "Zq-cn-only" not in partners
    mine = client.get(
        reverse("countries:report", args=["ZM", 2026]), {"edition": "mine"}
    ).content.decode()
    assert "Zq-cn-only" in mine and "Zq-partners note" in mine
    assert f"Prepared for {member.display_name}" in mine


def test_my_edition_follows_the_readers_audience(zambia, other_country_member):
    client = client_for(other_country_member)  # a ZM member: not in the CN-only audience
    mine = client.get(
        reverse("countries:report", args=["ZM", 2026]), {"edition": "mine"}
    ).content.decode()
    assert "Zq-partners note" in mine and "Zq-cn-only" not in mine


def test_the_report_compares_year_end_levels_with_the_year_before(zambia, member):
    page = client_for(member).get(reverse("countries:report", args=["ZM", 2026])).content.decode()
    year_end = page.split('id="year-end"')[1].split("</section>")[0]
    assert "↑ higher" in year_end
    assert "@page" in page and "counter(page)" in page


def test_the_pdf_has_every_section_and_the_chinese_and_arabic_text(zambia, member):
    response = client_for(member).get(reverse("countries:report_pdf", args=["ZM", 2026]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for heading in SECTIONS:
        assert heading in " ".join(text.split()), heading
    assert CHINESE in text
    assert ARABIC in text, text[-400:]


def test_a_published_edition_is_frozen_and_served_as_stored(
    zambia, chair, member, assessor, moderator
):
    frozen = reports.publish_report(chair=chair, country="ZM", year=2026)
    assert reports.verify(frozen)
    publish(
        assessor,
        moderator,
        "ZM",
        on=date(2026, 9, 1),
        levels={"operational": 5},
        summary="Zq-after-freeze",
    )
    client = client_for(member)
    html = client.get(reverse("countries:report", args=["ZM", 2026]))
    assert "Zq-after-freeze" not in html.content.decode()
    assert html.content.decode() == frozen.html
    pdf = client.get(reverse("countries:report_pdf", args=["ZM", 2026]))
    stored = FrozenReport.objects.get(pk=frozen.pk)
    assert pdf.content == bytes(stored.pdf)
    assert reports.verify(stored)
    import hashlib

    assert hashlib.sha256(pdf.content).hexdigest() == stored.pdf_sha256 == pdf["X-Content-SHA256"]
    # "Mine" stays live.
    mine = client.get(reverse("countries:report", args=["ZM", 2026]), {"edition": "mine"})
    assert "Zq-after-freeze" in mine.content.decode()


def test_only_a_chair_publishes_and_only_once(zambia, chair, moderator):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        reports.publish_report(chair=moderator, country="ZM", year=2026)
    reports.publish_report(chair=chair, country="ZM", year=2026)
    with pytest.raises(ValidationError):
        reports.publish_report(chair=chair, country="ZM", year=2026)
    response = client_for(chair).post(reverse("countries:report_publish", args=["ZM", 2026]))
    assert response.status_code == 302
    assert FrozenReport.objects.count() == 1
    assert (
        client_for(moderator)
        .post(reverse("countries:report_publish", args=["ZM", 2026]))
        .status_code
        == 404
    )


def test_the_report_is_in_the_readers_language(zambia, member):
    member.language = "zh-hans"
    member.save(update_fields=["language"])
    client = client_for(member)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(
        reverse("countries:report", args=["ZM", 2026]), headers={"accept-language": "zh-hans"}
    ).content.decode()
    assert 'lang="zh-hans"' in page
    assert "Zq-partners note" in page  # member-written text stays as written


def test_a_year_out_of_range_is_missing(member):
    client = client_for(member)
    assert client.get(reverse("countries:report", args=["ZM", 1999])).status_code == 404
    assert client.get(reverse("countries:report", args=["ZM", 3000])).status_code == 404
    assert (
        client.get(reverse("countries:report", args=["ZM", 2026]), {"edition": "other"}).status_code
        == 404
    )


def test_live_pdfs_are_rate_limited_per_member(zambia, member, settings):
    settings.COUNTRIES_PDF_PER_MINUTE = 1
    client = client_for(member)
    url = reverse("countries:report_pdf", args=["ZM", 2026])
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert "Please wait a minute" in refused.content.decode()
