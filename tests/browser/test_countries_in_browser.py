"""The country risk database in a real browser: a Kenyan assessment approved by a
moderator raises political and security to high with an up arrow; a CN-only risk note
opens for a Chinese member and is missing for a Kenyan one; Zambia's partners report of
the year downloads as a PDF."""

from datetime import date

from django.utils import timezone

from forum.actions import threads as thread_actions
from forum.models import Role
from tests.browser.conftest import sign_in
from tests.browser.test_moderation_in_browser import sign_in_with_code
from tests.conftest import PASSWORD
from tests.countries.helpers import ensure_reference_data, publish, submit


def test_raised_level_shows_with_an_up_arrow_a_cn_note_stays_domestic_and_the_pdf_downloads(
    new_page, legal, member, make_member, moderator, settings
):
    settings.FORUM_POSTS_PER_MINUTE = 10_000
    ensure_reference_data()
    year = timezone.localdate().year
    assessor = make_member(country="ZM", groups=[legal], role=Role.TRUSTED)
    kenyan = make_member(country="KE", groups=[legal])
    publish(assessor, moderator, "KE", on=date(year, 1, 1))  # medium everywhere
    raised = submit(assessor, "KE", on=date(year, 1, 2), levels={"political-security": 4})
    publish(assessor, moderator, "ZM", on=date(year, 1, 1))
    note = thread_actions.create_thread(
        author=member,
        group=legal,
        title="For Chinese companies in Zambia",
        body="Contacts of the economic section.",
        audience="domestic",
        country_tags=["ZM"],
    )

    reviewer = new_page()
    sign_in_with_code(reviewer, moderator.email)
    reviewer.goto(raised.get_absolute_url())
    reviewer.get_by_role("button", name="Approve").click()
    reviewer.wait_for_selector("text=The assessment is published.")

    reader = new_page()
    sign_in(reader, kenyan.email, PASSWORD)
    reader.goto("/countries/KE/")
    row = reader.locator('#current tr[data-dimension="political-security"]')
    assert "high" in row.locator(".level").inner_text()
    assert "↑ raised from medium" in row.locator(".change").inner_text()
    reader.goto("/countries/")
    assert (
        "high" in reader.locator('#country-KE td[data-dimension="political-security"]').inner_text()
    )

    # The CN-only note: missing for the Kenyan member, open for the Chinese one.
    response = reader.goto(note.get_absolute_url())
    assert response.status == 404
    reader.goto("/countries/ZM/")
    assert "For Chinese companies" not in reader.content()
    chinese = new_page()
    sign_in(chinese, member.email, PASSWORD)
    chinese.goto("/countries/ZM/")
    chinese.get_by_role("link", name="For Chinese companies in Zambia").click()
    chinese.wait_for_selector("h1 >> text=For Chinese companies in Zambia")

    # The partners report of the year downloads as a PDF.
    chinese.goto("/countries/ZM/")
    with chinese.expect_download() as downloading:
        chinese.get_by_role("link", name="PDF", exact=True).click()
    download = downloading.value
    assert download.suggested_filename == f"ZM-{year}-partners.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
