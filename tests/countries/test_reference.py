import pytest
from django.utils import translation

from countries.models import Country
from countries.reference import (
    FOUNDING_PARTNERS,
    country_choices,
    forget_partners,
    partner_choices,
    partner_codes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_partner_cache():
    """The cache outlives the test's rolled-back transaction: start and end clean."""
    forget_partners()
    yield
    forget_partners()


def test_the_migration_marks_the_comesa_members_and_china_as_partners():
    assert partner_codes() == FOUNDING_PARTNERS
    assert len(FOUNDING_PARTNERS) == 22
    assert Country.objects.count() >= 249


def test_pickers_list_partner_countries_first_by_name_in_the_active_language():
    with translation.override("fr"):
        choices = country_choices()
        codes = [code for code, _name in choices]
        assert set(codes[:22]) == FOUNDING_PARTNERS
        names = [name for _code, name in choices[:22]]
        assert names == sorted(names, key=str.casefold)
        assert dict(choices)["EG"] == "Égypte"
    with translation.override("zh-hans"):
        assert dict(partner_choices())["CN"] == "中国"


def test_staff_marking_a_partner_moves_it_up_at_once():
    Country.objects.filter(code="GH").update(partner=False)
    ghana = Country.objects.get(code="GH")
    ghana.partner = True
    ghana.save()
    assert "GH" in partner_codes()
    assert "GH" in [code for code, _name in country_choices()[:23]]
