"""The project sections come from the docking app when it provides them, else nothing."""

from types import SimpleNamespace

import pytest

from countries import sections

pytestmark = pytest.mark.django_db


class Rows:
    """A queryset-like list of listings with a host country (what the docking app returns)."""

    def __init__(self, rows, field="host_country"):
        self.rows = rows
        self.model = SimpleNamespace(
            _meta=SimpleNamespace(get_fields=lambda: [SimpleNamespace(name=field)])
        )

    def filter(self, host_country=None, listing__host_country=None):
        code = host_country or listing__host_country
        return Rows([r for r in self.rows if r.country == code])

    def none(self):
        return Rows([])

    def count(self):
        return len(self.rows)

    def order_by(self, *_fields):
        return self.rows


def test_without_the_docking_app_the_sections_are_empty(member, monkeypatch):
    monkeypatch.setattr(sections, "_provider", lambda name: None)
    found = sections.project_sections(member, "ZM")
    assert not found.available and found.listings == [] and found.agreement_count == 0


def test_the_readers_view_and_the_partner_wide_view_are_asked_separately(member, monkeypatch):
    mine = Rows([SimpleNamespace(country="ZM"), SimpleNamespace(country="KE")])
    wide = Rows([SimpleNamespace(country="ZM")])
    asked = []

    def provider(name):
        asked.append(name)
        return {
            "published_listings": lambda viewer: mine,
            "visible_listings": lambda viewer: mine,
            "announceable_agreements": lambda viewer: mine,
            "partner_wide_listings": lambda: wide,
            "partner_wide_announceable_agreements": lambda: Rows([]),
        }[name]

    monkeypatch.setattr(sections, "_provider", provider)
    found = sections.project_sections(member, "ZM")
    assert found.available and found.listing_count == 1 and found.agreement_count == 1
    partners = sections.project_sections(None, "ZM", partners=True)
    assert partners.listing_count == 1 and partners.agreement_count == 0
    assert "partner_wide_listings" in asked and "published_listings" in asked
