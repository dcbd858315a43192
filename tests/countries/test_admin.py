import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.countries.helpers import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(make_member):
    admin = make_member(country="CN", staff=True, mfa=True, is_superuser=True)
    return client_for(admin)


def test_the_admin_reads_assessments_and_reports_but_never_writes_them(
    superuser_client, assessor, moderator
):
    assessment = publish(assessor, moderator)
    for model in ("assessment", "frozenreport", "dimension"):
        assert (
            superuser_client.get(reverse(f"admin:countries_{model}_changelist")).status_code == 200
        )
    assert superuser_client.get(reverse("admin:countries_assessment_add")).status_code == 403
    change = reverse("admin:countries_assessment_change", args=[assessment.pk])
    response = superuser_client.post(change, {"summary": "changed"})
    assert response.status_code == 403
    delete = reverse("admin:countries_assessment_delete", args=[assessment.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assessment.refresh_from_db()
    assert assessment.summary == ""
