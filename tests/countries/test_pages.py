from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from countries.actions import assessments as actions
from forum.models import Role
from tests.conftest import client_for
from tests.countries.helpers import publish, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixed_clock(monkeypatch):
    """Pin "now" to 2026-11-29 12:00 UTC."""
    moment = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_the_list_shows_every_partner_with_levels_in_colour_and_words(assessor, moderator, member):
    publish(assessor, moderator, "KE", levels={"political-security": 4}, on=date(2026, 5, 1))
    page = client_for(member).get(reverse("countries:list")).content.decode()
    for code in ("KE", "ZM", "CN", "EG"):
        assert f'id="country-{code}"' in page
    ke = page.split('id="country-KE"')[1].split("</tr>")[0]
    assert 'class="level level-4" data-level="4">high</span>' in ke
    assert "→ stable" in ke


def test_review_is_overdue_after_twelve_months_on_a_fixed_clock(
    assessor, moderator, member, fixed_clock
):
    publish(assessor, moderator, "KE", on=date(2025, 11, 29))  # exactly 12 months: due today
    publish(assessor, moderator, "ZM", on=date(2025, 11, 28))  # a day more: overdue
    page = client_for(member).get(reverse("countries:list")).content.decode()
    ke = page.split('id="country-KE"')[1].split("</tr>")[0]
    zm = page.split('id="country-ZM"')[1].split("</tr>")[0]
    assert "review overdue" not in ke
    assert "review overdue" in zm


def test_the_list_filters_and_sorts_by_level_and_dimension(assessor, moderator, member):
    publish(assessor, moderator, "KE", levels={"operational": 5})
    publish(assessor, moderator, "ZM", levels={"operational": 2})
    client = client_for(member)
    page = client.get(
        reverse("countries:list"), {"dimension": "operational", "level": 5}
    ).content.decode()
    assert 'id="country-KE"' in page and 'id="country-ZM"' not in page
    page = client.get(reverse("countries:list"), {"sort": "operational"}).content.decode()
    assert (
        page.index('id="country-KE"')
        < page.index('id="country-ZM"')
        < page.index('id="country-CN"')
    )


def test_the_country_page_shows_history_with_what_changed(assessor, moderator, member):
    publish(assessor, moderator, "KE", on=date(2026, 1, 10))
    publish(assessor, moderator, "KE", levels={"political-security": 4}, on=date(2026, 6, 1))
    page = client_for(member).get(reverse("countries:country", args=["KE"])).content.decode()
    current = page.split('id="current"')[1].split("</section>")[0]
    row = current.split('data-dimension="political-security"')[1].split("</tr>")[0]
    assert "↑ raised from medium" in row and ">high<" in row
    history = page.split('id="history"')[1].split("</section>")[0]
    assert assessor.display_name in history and moderator.display_name in history
    assert "↑" in history


def test_a_pending_assessment_shows_to_its_author_and_reviewers_only(
    assessor, moderator, member, chair
):
    pending = submit(assessor, summary="Zq-pending-summary")
    url = reverse("countries:assessment", args=[pending.pk])
    assert client_for(member).get(url).status_code == 404
    for reader in (assessor, moderator, chair):
        assert client_for(reader).get(url).status_code == 200
    country = reverse("countries:country", args=["KE"])
    assert "Zq-pending" not in client_for(member).get(country).content.decode()
    assert str(pending.get_absolute_url()) in client_for(moderator).get(country).content.decode()


def test_a_moderator_approves_from_the_page_but_not_their_own(assessor, moderator, legal):
    own = submit(moderator)
    client = client_for(moderator)
    response = client.post(
        reverse("countries:assessment_decide", args=[own.pk]), {"decision": "approve"}
    )
    assert response.status_code == 400
    assert "Nobody approves their own assessment." in response.content.decode()
    theirs = submit(assessor)
    response = client.post(
        reverse("countries:assessment_decide", args=[theirs.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "published"


def test_the_assessment_form_submits_for_review_and_keeps_input_on_error(assessor):
    client = client_for(assessor)
    url = reverse("countries:assess", args=["KE"])
    data = {"assessed_on": "2026-03-01", "summary": "Kept summary"}
    for d in ("political-security", "legal-regulatory", "currency-financial", "operational"):
        data |= {f"level_{d}": "3", f"trend_{d}": "stable", f"reasoning_{d}": "Because."}
    response = client.post(url, data)
    assert response.status_code == 200  # no source: the form comes back with what was typed
    assert "Kept summary" in response.content.decode()
    data |= {
        "source_title_0": "Report",
        "source_publisher_0": "Bank",
        "source_date_0": "2026-01-01",
        "source_url_0": "https://example.org/r",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert assessor.country_assessments.get().status == "pending"


def test_only_assessors_reach_the_form_and_only_reviewers_the_queue(member, assessor, moderator):
    assert client_for(member).get(reverse("countries:assess", args=["KE"])).status_code == 404
    assert client_for(assessor).get(reverse("countries:assess", args=["KE"])).status_code == 200
    assert client_for(assessor).get(reverse("countries:queue")).status_code == 404
    pending = submit(assessor)
    page = client_for(moderator).get(reverse("countries:queue")).content.decode()
    assert pending.get_absolute_url() in page


def test_a_non_partner_country_page_is_missing(member):
    client = client_for(member)
    assert client.get(reverse("countries:country", args=["US"])).status_code == 404
    assert client.get(reverse("countries:country", args=["K1"])).status_code == 404


def test_the_list_runs_a_constant_number_of_queries(assessor, moderator, member):
    client = client_for(member)
    url = reverse("countries:list")
    publish(assessor, moderator, "KE")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for code in ("KE", "ZM", "EG", "CN", "UG"):
        publish(assessor, moderator, code)
        publish(assessor, moderator, code, levels={"operational": 4}, on=date(2026, 4, 1))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_country_page_runs_a_constant_number_of_queries(
    assessor, moderator, member, start_thread, legal
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(member)
    url = reverse("countries:country", args=["KE"])
    publish(assessor, moderator, "KE")
    start_thread(member, title="First note on Kenya", country_tags=["KE"])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        publish(assessor, moderator, "KE", levels={"operational": 1 + n}, on=date(2026, 4, 1 + n))
        start_thread(member, title=f"Note {n} on Kenya", country_tags=["KE"])
    submit(assessor)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_with_two_approvals_required_the_page_says_one_more_is_needed(
    assessor, moderator, legal, second_moderator
):
    legal.approvals_required = 2
    legal.save(update_fields=["approvals_required"])
    pending = submit(assessor)
    client = client_for(moderator)
    client.post(reverse("countries:assessment_decide", args=[pending.pk]), {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == "pending"
    actions.approve_assessment(moderator=second_moderator, assessment=pending)
    pending.refresh_from_db()
    assert pending.status == "published"
    assert Role.MODERATOR  # the reviewers are moderators of legal policy


def test_the_forums_review_queue_links_to_the_assessments_waiting(assessor, moderator, member):
    submit(assessor)
    page = client_for(moderator).get(reverse("queue")).content.decode()
    assert "1 country risk assessment waits for review" in page
    assert reverse("countries:queue") in page
