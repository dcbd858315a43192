"""A country's main time zone, from the IANA table shipped with `tzdata`."""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def _first_zones() -> dict[str, str]:
    """The first zone `zone.tab` lists for each country (its capital's, as a rule)."""
    text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    zones: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            zones.setdefault(fields[0].upper(), fields[2])
    return zones


def zone_for_country(code: str) -> str:
    """Return the time zone most of `code`'s people live in, or "UTC" when unknown."""
    return _first_zones().get((code or "").upper(), "UTC")
