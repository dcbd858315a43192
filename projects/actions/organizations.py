"""An organization's docking profile: sectors, countries of operation, offers, ICoCA."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Member, Organization
from countries.models import Country
from projects.models import IcocaStatus, Offer, Sector


def set_profile(
    *,
    member: Member,
    sectors: Iterable[Sector],
    countries: Iterable[str],
    offers: Iterable[str],
    icoca_status: str,
) -> Organization:
    """Set the member's own organization's profile. A changed ICoCA status is no longer
    verified: only staff verify it (in the admin)."""
    if member.organization_id is None:
        raise PermissionDenied(_("You do not belong to an organization."))
    offers = list(dict.fromkeys(offers))
    if any(o not in Offer.values for o in offers) or icoca_status not in IcocaStatus.values:
        raise ValidationError(_("Unknown choice."))
    codes = sorted({c.upper() for c in countries})
    known = list(Country.objects.filter(code__in=codes))
    if len(known) != len(codes):
        raise ValidationError(_("Unknown country."))
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=member.organization_id)
        if org.icoca_status != icoca_status:
            org.icoca_verified = False
        org.icoca_status = icoca_status
        org.offers = offers
        org.save(update_fields=["icoca_status", "icoca_verified", "offers"])
        org.sectors.set(list(sectors))
        org.operating_countries.set(known)
    return org
