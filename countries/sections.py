"""Sections of the country page and report that another app provides: listings hosted in
the country and the count of announceable signed agreements (the project docking app).

Each provider asks that app's own visibility rule, and shows nothing when the app does
not provide it (yet). The partners edition of the report asks the "partner-wide"
variants (content whose audience is every partner country), never a reader's view.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forum.visibility import Viewer

LISTINGS_SHOWN = 20


def _provider(name: str):
    """Return `projects.visibility.<name>` if the app provides it, else None."""
    try:
        module = importlib.import_module("projects.visibility")
    except ImportError:
        return None
    return getattr(module, name, None)


@dataclass
class ProjectSections:
    available: bool = False  # whether the project app provides these sections at all
    listings: list[Any] = field(default_factory=list)
    listing_count: int = 0
    agreement_count: int = 0


def _in_country(queryset, code: str):
    # Listings carry their host country; agreements (dockings) name their listing's.
    model = queryset.model
    names = {f.name for f in model._meta.get_fields()}
    if "host_country" in names:
        return queryset.filter(host_country=code)
    if "listing" in names:
        return queryset.filter(listing__host_country=code)
    return queryset.none()


def project_sections(
    viewer: Viewer | None, code: str, *, partners: bool = False
) -> ProjectSections:
    """Return the listings hosted in `code` and the count of announceable signed agreements
    there, as `viewer` may see them (or, for the partners edition, as every partner may).

    Three queries at most, whatever the number of listings.
    """
    if partners:
        listings_of = _provider("partner_wide_listings")
        agreements_of = _provider("partner_wide_announceable_agreements")
        listings = listings_of() if listings_of else None
        agreements = agreements_of() if agreements_of else None
    else:
        listings_of = _provider("published_listings") or _provider("visible_listings")
        agreements_of = _provider("announceable_agreements")
        listings = listings_of(viewer) if listings_of else None
        agreements = agreements_of(viewer) if agreements_of else None
    sections = ProjectSections(available=listings is not None or agreements is not None)
    if listings is not None:
        listings = _in_country(listings, code)
        sections.listing_count = listings.count()
        sections.listings = list(listings.order_by("-pk")[:LISTINGS_SHOWN])
    if agreements is not None:
        sections.agreement_count = _in_country(agreements, code).count()
    return sections
