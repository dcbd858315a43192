"""The docking platform's sections of the email digest (forum.digests.EXTRA_SECTIONS):
docking steps since the last digest, and, in weekly digests, suggested listings.

Each builder uses a constant number of queries whatever the number of members.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy

from accounts.models import DigestFrequency, Member
from forum.digests import ExtraItem, ExtraSection, _absolute
from projects import machine
from projects.models import DockingStep
from projects.suggestions import suggestions_for_many


def docking_steps(
    members: list[Member], since: dict[int, datetime], until: datetime
) -> dict[int, ExtraSection]:
    """Steps of the members' organizations' dockings (either side), not their own."""
    orgs = {m.organization_id for m in members if m.organization_id}
    if not orgs or not since:
        return {}
    steps = list(
        DockingStep.objects.filter(
            Q(docking__organization__in=orgs) | Q(docking__listing__organization__in=orgs),
            created_at__gte=min(since.values()),
            created_at__lt=until,
        )
        .select_related("docking", "docking__listing", "docking__organization")
        .order_by("created_at", "pk")
    )
    sections = {}
    for member in members:
        org = member.organization_id
        if org is None or member.pk not in since:
            continue
        mine = [
            step
            for step in steps
            if step.created_at >= since[member.pk]
            and step.actor_id != member.pk
            and org in (step.docking.organization_id, step.docking.listing.organization_id)
        ]
        if mine:
            sections[member.pk] = ExtraSection(
                title=gettext_lazy("Docking"),
                items=[
                    ExtraItem(
                        text=f"{step.docking.listing.title}: "
                        f"{machine.ACTION_LABELS.get(step.action, step.action)}",
                        url=_absolute(step.docking.get_absolute_url()),
                        when=step.created_at,
                    )
                    for step in mine[-10:]
                ],
            )
    return sections


def suggested_listings(
    members: list[Member], since: dict[int, datetime], until: datetime
) -> dict[int, ExtraSection]:
    """In weekly digests: listings suggested for the member, each with why."""
    weekly = [m for m in members if m.digest_frequency == DigestFrequency.WEEKLY]
    found = suggestions_for_many(weekly)
    return {
        member_id: ExtraSection(
            title=gettext_lazy("Suggested for you"),
            items=[
                ExtraItem(
                    text=f"{s.listing.title} ({s.why})",
                    url=_absolute(s.listing.get_absolute_url()),
                )
                for s in suggestions
            ],
            # News only when something was published since the last digest.
            news=any(
                s.listing.published_at and s.listing.published_at >= since.get(member_id, until)
                for s in suggestions
            ),
        )
        for member_id, suggestions in found.items()
    }
