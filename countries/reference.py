"""The partner countries, and country choices for pickers: partners first, by name.

Names are in the active language (django-countries' translations). The partner set is
read once per process and cached; saving or deleting a `Country` clears the cache.
"""

from __future__ import annotations

import functools

from django.utils.translation import get_language
from django_countries import countries as iso_countries

# The 21 COMESA members and China, marked as partners by migration 0002.
FOUNDING_PARTNERS = frozenset(
    "BI KM CD DJ EG ER SZ ET KE LY MG MW MU RW SC SO SD TN UG ZM ZW CN".split()  # noqa: SIM905
)


@functools.cache
def partner_codes() -> frozenset[str]:
    """Return the ISO codes of the partner countries."""
    from countries.models import Country

    return frozenset(Country.objects.filter(partner=True).values_list("code", flat=True))


def forget_partners() -> None:
    """Drop the cached partner set (after a change to the table)."""
    partner_codes.cache_clear()
    _choices.cache_clear()


def is_partner(code: str) -> bool:
    return code.upper() in partner_codes()


@functools.cache
def _choices(language: str, partners: frozenset[str]) -> tuple[tuple[str, str], ...]:
    named = [(code, str(name)) for code, name in iso_countries]
    first = sorted((pair for pair in named if pair[0] in partners), key=_by_name)
    rest = sorted((pair for pair in named if pair[0] not in partners), key=_by_name)
    return tuple(first + rest)


def _by_name(pair: tuple[str, str]) -> str:
    return pair[1].casefold()


def country_choices() -> list[tuple[str, str]]:
    """Return (code, name) for every country: partners first, each part by name.

    Names are in the active language; sorting is by casefolded name, which orders
    Latin, Arabic and Chinese names consistently within one language.
    """
    return list(_choices(get_language() or "en", partner_codes()))


def partner_choices() -> list[tuple[str, str]]:
    """Return (code, name) for the partner countries only, by name."""
    partners = partner_codes()
    return [pair for pair in country_choices() if pair[0] in partners]


def ensure_countries() -> None:
    """Bring back the country rows if the table is empty (a flushed database).

    The data migration fills the table; `flush` (transactional tests) empties it, and
    whatever links to countries (organizations' countries of operation) needs the rows.
    """
    from countries.models import Country

    if Country.objects.exists():
        return
    Country.objects.bulk_create(
        [Country(code=code, partner=code in FOUNDING_PARTNERS) for code, _name in iso_countries],
        ignore_conflicts=True,
    )
    forget_partners()
