"""Demo listings and dockings for `manage.py seed_demo`: hosted in ZM, KE and EG by the
China office and African organizations, with a docking in every step. Titles start
with "[Demo]" and the rows carry `demo=True`. Running it again changes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Member, Organization
from countries.reference import ensure_countries
from projects.actions import dockings, listings
from projects.models import BUILT_IN_SECTORS, Listing, ListingReview, Offer, Sector

DEMO_ORGS = {
    # organization name: (sectors, countries of operation, offers)
    "China office": (
        ["security-equipment", "smart-cities", "face-recognition", "energy-equipment"],
        ["CN", "ZM", "KE", "EG"],
        [Offer.EQUIPMENT, Offer.TECHNOLOGY, Offer.FINANCING],
    ),
    "Zambia Development Agency": (
        ["security-equipment", "mining", "infrastructure"],
        ["ZM"],
        [Offer.PARTNER, Offer.SERVICES],
    ),
    "Kenya Investment Authority": (
        ["energy-equipment", "ict", "smart-cities"],
        ["KE"],
        [Offer.PARTNER, Offer.SERVICES],
    ),
    "Egypt Trade Point": (
        ["health", "security-services", "infrastructure"],
        ["EG"],
        [Offer.PARTNER, Offer.FINANCING],
    ),
}

# (key, author, kind, title, sector, host, size, stage, seeks, summary)
DEMO_LISTINGS = [
    (
        "lusaka",
        "member.cn",
        "project",
        "[Demo] Border security equipment for Lusaka",
        "security-equipment",
        "ZM",
        "10m_50m",
        "procurement",
        ["partner", "services"],
        "Scanners and cameras for three border posts; a local partner installs and maintains.",
    ),
    (
        "copperbelt",
        "member.zm",
        "project",
        "[Demo] Copperbelt smart-city pilot",
        "smart-cities",
        "ZM",
        "50m_250m",
        "feasibility",
        ["equipment", "financing", "technology"],
        "Traffic, lighting and water sensors for Kitwe and Ndola.",
    ),
    (
        "nairobi",
        "member.ke",
        "request",
        "[Demo] Solar mini-grids for Nairobi's outskirts",
        "energy-equipment",
        "KE",
        "1m_10m",
        "financing",
        ["equipment", "financing"],
        "Twelve mini-grids of 200 kW; land and permits are secured.",
    ),
    (
        "mombasa",
        "trusted.cn",
        "offer",
        "[Demo] Face-recognition access control for Mombasa port",
        "face-recognition",
        "KE",
        "1m_10m",
        "concept",
        ["partner"],
        "Gates and a control room, with data kept in Kenya under its data protection act.",
    ),
    (
        "cairo",
        "member.eg",
        "request",
        "[Demo] Cairo hospital equipment upgrade",
        "health",
        "EG",
        "10m_50m",
        "procurement",
        ["equipment", "financing"],
        "Imaging and sterilisation equipment for four public hospitals.",
    ),
    (
        "suez",
        "member.cn",
        "offer",
        "[Demo] Security services for the Suez industrial zone",
        "security-services",
        "EG",
        "under_1m",
        "implementation",
        ["partner"],
        "Guarding and monitoring by an ICoCA member company, with a local partner.",
    ),
]

# (listing key, interested member, the step it reaches)
DEMO_DOCKINGS = [
    ("lusaka", "member.zm", "signed"),
    ("copperbelt", "member.cn", "scheduled"),
    ("nairobi", "member.eg", "meeting_requested"),
    ("mombasa", "member.ke", "introduced"),
    ("cairo", "member.ke", "interested"),
    ("suez", "member.eg", "closed"),
]


def _member(prefix: str) -> Member:
    return Member.objects.get(email=f"{prefix}@demo.example")


def _publish(listing: Listing) -> None:
    """Approve as demo moderators from other organizations until published."""
    tried: set[int] = set()
    while True:
        review = ListingReview.objects.filter(listing=listing, state="open").first()
        if review is None:
            return
        moderator = (
            Member.objects.filter(email__startswith="moderator.", email__endswith="@demo.example")
            .exclude(organization=listing.organization_id)
            .exclude(country__in=[a["country"] for a in review.approvals])
            .exclude(pk__in=tried)
            .first()
        )
        if moderator is None:
            return
        tried.add(moderator.pk)
        listings.approve_review(moderator=moderator, review=review)


def _advance(docking, owner: Member, partner: Member, target: str) -> None:
    if target == "interested":
        return
    if target == "closed":
        dockings.close(actor=owner, docking=docking, action="decline", note="Not this year.")
        return
    dockings.accept(actor=owner, docking=docking, note="Glad to meet you.")
    if target == "introduced":
        return
    soon = (timezone.now() + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    dockings.request_meeting(
        actor=partner,
        docking=docking,
        slots=[(soon + timedelta(days=d), soon + timedelta(days=d, hours=1)) for d in (0, 1)],
        note="Either time works for us.",
    )
    if target == "meeting_requested":
        return
    slot = dockings.current_slots(docking)[0]
    dockings.pick_slot(actor=owner, docking=docking, slot_id=slot.pk)
    if target == "scheduled":
        return
    dockings.sign(
        actor=owner,
        docking=docking,
        signed_on=timezone.localdate(),
        kind="mou",
        value="1200000",
        announceable=True,
        note="Signed at the docking session.",
    )


def seed_projects() -> int:
    """Create the demo listings and dockings once; return how many listings were made."""
    if Listing.objects.filter(demo=True).exists():
        return 0
    with transaction.atomic():
        # The sectors and countries come from data migrations; a flushed database
        # (transactional tests) has none, so the demo brings back what it uses.
        ensure_countries()
        Sector.objects.bulk_create(
            [
                Sector(slug=slug, name=name, position=position)
                for position, (slug, name) in enumerate(BUILT_IN_SECTORS)
            ],
            ignore_conflicts=True,
        )
        for name, (sectors, countries, offers) in DEMO_ORGS.items():
            org = Organization.objects.filter(name=name).first()
            if org is None:
                continue
            org.sectors.set(Sector.objects.filter(slug__in=sectors))
            org.operating_countries.set(countries)
            org.offers = [str(o) for o in offers]
            org.save(update_fields=["offers"])
        made = {}
        for key, author, kind, title, sector, host, size, stage, seeks, summary in DEMO_LISTINGS:
            listing = listings.create_listing(
                author=_member(author),
                data={
                    "kind": kind,
                    "title": title,
                    "summary": summary + "\n\n*Demo data.*",
                    "sector": Sector.objects.get(slug=sector).pk,
                    "host_country": host,
                    "size": size,
                    "stage": stage,
                    "seeks": seeks,
                    "contact_name": f"{_member(author).display_name} (demo)",
                    "contact_email": f"{author}@demo.example",
                    "contact_phone": "+00 000 000 000",
                },
                submit=True,
                demo=True,
            )
            _publish(listing)
            listing.refresh_from_db()
            made[key] = listing
        for key, partner, target in DEMO_DOCKINGS:
            listing = made[key]
            if listing.state != "published":
                continue
            partner_member = _member(partner)
            docking = dockings.express_interest(
                member=partner_member,
                listing=listing,
                message="We would like to work on this together. (Demo data.)",
            )
            _advance(docking, listing.author, partner_member, target)
    return len(made)
